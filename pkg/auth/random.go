package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
)

// randomSuffix adds 128 more random bits to a session id so that, signature
// aside, ids cannot be guessed from their time prefix.
func randomSuffix() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// NewSecret returns a random 256-bit token for a link in a mail.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
