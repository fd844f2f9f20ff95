package realtime

import "time"

// Observer is told what the hub and the broker do, for metrics. Its methods
// are called on hot paths (under a room's lock for Delivered and FanOut), so
// they must be cheap and must not block: Prometheus counters are.
type Observer interface {
	// Delivered counts frames of one event queued to n local sockets.
	Delivered(n int)
	// FanOut is how long queuing one event to every local socket took.
	FanOut(d time.Duration)
	// QueueFull counts a socket closed 1013 because its queue was full.
	QueueFull()
	// GapFilled counts events read from the log to close a gap.
	GapFilled(n int)
	// BrokerReconnected counts a broker connection that came back.
	BrokerReconnected()
}

// NopObserver observes nothing (the default).
type NopObserver struct{}

func (NopObserver) Delivered(int)        {}
func (NopObserver) FanOut(time.Duration) {}
func (NopObserver) QueueFull()           {}
func (NopObserver) GapFilled(int)        {}
func (NopObserver) BrokerReconnected()   {}
