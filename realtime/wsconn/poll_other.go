//go:build !linux

package wsconn

// Without epoll every connection reads in its own goroutine (Listen) and
// writes wait in the runtime's poller.

func (c *Conn) poll() bool { return false }

func (c *Conn) unpoll() {}

func (c *Conn) tryWrite([]byte) int { return 0 }
