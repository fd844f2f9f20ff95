// Package ui holds the server-rendered html/template pages, embedded so the
// binary runs from any directory.
package ui

import "embed"

// FS holds templates/**.html.
//
//go:embed templates
var FS embed.FS
