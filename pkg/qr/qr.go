// Package qr draws QR codes as PNG images: the check-in codes in
// confirmation mails and on my page.
package qr

import (
	"fmt"

	// skip2/go-qrcode rather than yeqown/go-qrcode/v2: one call from text
	// to PNG, no dependencies of its own, and the same bytes for the same
	// text (the tests compare a mailed image with one drawn from the link
	// they expect). yeqown's v2 splits its writers into further modules
	// and pulls in image packages we have no other use for.
	qrcode "github.com/skip2/go-qrcode"
)

// PNG draws text as a QR code. Medium error correction survives a cracked
// phone screen; 320 px scans from arm's length.
func PNG(text string) ([]byte, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, 320)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	return png, nil
}
