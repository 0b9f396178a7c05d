package intercept

import (
	"net"
	"strings"
)

// GraphHosts are the hosts of Meta's Graph API that a Messenger client
// library may call: the API itself, its beta tier, the video upload host
// and Instagram's Graph host (Instagram messaging uses the same Send API).
// The proxy answers these, and only these, with fakegraph.
var GraphHosts = []string{
	"graph.facebook.com",
	"graph.beta.facebook.com",
	"graph-video.facebook.com",
	"graph.instagram.com",
}

// IsGraphHost reports whether host (a name, without port) is one of
// GraphHosts, in any letter case and with or without a trailing dot.
func IsGraphHost(host string) bool {
	host = normalHost(host)
	for _, h := range GraphHosts {
		if host == h {
			return true
		}
	}
	return false
}

// normalHost lowercases host and drops a trailing dot.
func normalHost(host string) string {
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// splitTarget splits a CONNECT target or URL host ("host:port", "[::1]:80",
// "host") into a normalised host and a port, defaulting to def.
func splitTarget(target, def string) (host, port string) {
	h, p, err := net.SplitHostPort(target)
	if err != nil {
		h, p = strings.Trim(target, "[]"), def
	}
	if p == "" {
		p = def
	}
	return normalHost(h), p
}

// isLoopbackHost reports whether host names a loopback interface.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
