package tenantsim

import (
	"maps"
	"sync"
)

// Stats counts the requests a simulated tenant has served.
type Stats struct {
	// ByOperation maps an operationId (the v2025 one, for both API surfaces)
	// to response status to count. Status 0 means the connection was reset
	// without an answer. "unknown" collects requests that matched no
	// operation; "token" counts POST /oauth/token, which is not in Total.
	ByOperation map[string]map[int]int `json:"byOperation"`
	RateLimited int                    `json:"rateLimited"` // 429s of the rate limit (API and token endpoint), not of burst429 faults
	Total       int                    `json:"total"`       // API requests
	Writes      int                    `json:"writes"`      // POST/PUT/PATCH/DELETE answered 2xx and processed (UNCHANGED PUTs too; not UpdateDetail ERROR, not truncated)
	Faults      map[string]int         `json:"faults"`      // injected faults by kind: 500, reset, truncate, burst429, revoke, lose-write
}

type statsCollector struct {
	mu sync.Mutex
	s  Stats
}

func (c *statsCollector) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s = Stats{ByOperation: map[string]map[int]int{}, Faults: map[string]int{}}
}

// request records one API request.
func (c *statsCollector) request(op string, status int, write bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Total++
	if write {
		c.s.Writes++
	}
	c.countLocked(op, status)
}

// operation records a request that is not an API request (the token endpoint).
func (c *statsCollector) operation(op string, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.countLocked(op, status)
}

func (c *statsCollector) countLocked(op string, status int) {
	m := c.s.ByOperation[op]
	if m == nil {
		m = map[int]int{}
		c.s.ByOperation[op] = m
	}
	m[status]++
}

func (c *statsCollector) rateLimited() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.RateLimited++
}

func (c *statsCollector) fault(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Faults[kind]++
}

func (c *statsCollector) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.s
	out.ByOperation = make(map[string]map[int]int, len(c.s.ByOperation))
	for op, m := range c.s.ByOperation {
		out.ByOperation[op] = maps.Clone(m)
	}
	out.Faults = maps.Clone(c.s.Faults)
	return out
}
