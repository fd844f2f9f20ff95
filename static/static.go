// Package static holds the CSS, JavaScript and images, embedded. The built
// CSS is committed (make css rebuilds it); nothing is fetched at run time.
package static

import "embed"

// FS holds css/, js/, vendor/ and img/.
//
//go:embed css js vendor img
var FS embed.FS
