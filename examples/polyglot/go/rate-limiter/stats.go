package main

import "encoding/json"

// getStats answers the limiter's totals. The article's listing calls it
// but does not print it; the reply matches the TypeScript version's
// (examples/seed/rate-limiter).
func (s *SlidingWindowLimiter) getStats() string {
	data, _ := json.Marshal(map[string]any{
		"total_checks":  s.TotalChecks,
		"total_allowed": s.TotalAllowed,
		"total_denied":  s.TotalDenied,
		"clients":       len(s.Clients),
	})
	return string(data)
}
