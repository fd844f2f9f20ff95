package wsconn

import (
	"errors"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// poller is one epoll instance for every board socket of the process: a
// socket is registered one-shot for input; when it is readable a worker
// reads what is there without waiting, handles the whole frames and
// re-arms it. An idle socket is an epoll entry, not a parked goroutine.
type poller struct {
	epfd  int
	mu    sync.Mutex
	conns map[int32]*Conn
	work  chan *Conn
}

var (
	pollerOnce sync.Once
	thePoller  *poller
)

const pollEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

func getPoller() *poller {
	pollerOnce.Do(func() {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return // goroutine per connection instead
		}
		p := &poller{epfd: fd, conns: map[int32]*Conn{}, work: make(chan *Conn, pollQueue)}
		go p.wait()
		for range max(2, runtime.GOMAXPROCS(0)) {
			go p.worker()
		}
		thePoller = p
	})
	return thePoller
}

func (p *poller) wait() {
	events := make([]unix.EpollEvent, 256)
	ready := make([]*Conn, 0, len(events))
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			panic("wsconn: epoll_wait: " + err.Error())
		}
		ready = ready[:0]
		p.mu.Lock()
		for i := range n {
			if c := p.conns[events[i].Fd]; c != nil {
				ready = append(ready, c)
			}
		}
		p.mu.Unlock()
		// Sent without the lock: workers closing sockets take it.
		for i, c := range ready {
			p.work <- c
			ready[i] = nil
		}
	}
}

func (p *poller) worker() {
	buf := make([]byte, 8192)
	for c := range p.work {
		c.readReady(buf)
	}
}

// poll registers c with the poller; false when it cannot be (then the
// caller reads in a goroutine).
func (c *Conn) poll() bool {
	p := getPoller()
	if p == nil || c.rc == nil {
		return false
	}
	var err error
	cerr := c.rc.Control(func(fd uintptr) {
		c.fd.Store(int32(fd))
		p.mu.Lock()
		p.conns[int32(fd)] = c
		p.mu.Unlock()
		err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(fd), &unix.EpollEvent{Events: pollEvents, Fd: int32(fd)})
	})
	if err != nil || cerr != nil {
		c.forget(p)
		return false
	}
	return true
}

func (c *Conn) forget(p *poller) {
	fd := c.fd.Swap(-1)
	p.mu.Lock()
	if p.conns[fd] == c {
		delete(p.conns, fd)
	}
	p.mu.Unlock()
}

// unpoll removes c from the poller before its socket is closed.
func (c *Conn) unpoll() {
	p := thePoller
	if p == nil || c.fd.Load() < 0 {
		return
	}
	_ = c.rc.Control(func(fd uintptr) {
		_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
	})
	c.forget(p)
}

// readReady reads what the socket holds, without waiting, and handles it.
// An event may be stale (the socket number reused): busy keeps two workers
// off one connection, and a read that finds nothing just re-arms.
func (c *Conn) readReady(buf []byte) {
	if !c.busy.CompareAndSwap(false, true) {
		return // the worker holding it re-arms when done
	}
	for {
		var n int
		var rerr error
		err := c.rc.Read(func(fd uintptr) bool {
			n, rerr = unix.Read(int(fd), buf)
			return true // never wait: the poller says when there is more
		})
		switch {
		case err != nil:
			c.busy.Store(false)
			c.CloseNow()
			return
		case errors.Is(rerr, unix.EINTR):
			continue
		case errors.Is(rerr, unix.EAGAIN):
		case rerr != nil || n == 0:
			c.busy.Store(false)
			c.CloseNow() // reset or EOF
			return
		default:
			if !c.consumeOrFail(buf[:n]) {
				c.busy.Store(false)
				return
			}
			if n == len(buf) {
				continue
			}
		}
		break
	}
	// Released before re-arming: the next event may come at once.
	c.busy.Store(false)
	p := thePoller
	_ = c.rc.Control(func(fd uintptr) {
		if c.fd.Load() >= 0 {
			_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, int(fd), &unix.EpollEvent{Events: pollEvents, Fd: int32(fd)})
		}
	})
}

// tryWrite writes what the socket's buffer takes now, without waiting.
func (c *Conn) tryWrite(b []byte) int {
	if c.rc == nil {
		return 0
	}
	var n int
	_ = c.rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, err := unix.Write(int(fd), b[n:])
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil || m <= 0 {
				break
			}
			n += m
		}
		return true
	})
	return n
}
