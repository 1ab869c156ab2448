package web

import "testing"

// Only the console's own paths are returned to after sign-in: a crafted
// cookie cannot send a fresh session elsewhere.
func TestConsolePath(t *testing.T) {
	for p, want := range map[string]bool{
		"/admin": true, "/admin/events/abc": true, "/admin/checkin?t=x": true,
		"": false, "/me": false, "//evil.example/admin": false, "https://evil.example/admin": false,
		"/administrator": false, "/admin/\r\nSet-Cookie: x": false, "/admin\\evil": false,
	} {
		if got := consolePath(p); got != want {
			t.Errorf("consolePath(%q) = %v, want %v", p, got, want)
		}
	}
}
