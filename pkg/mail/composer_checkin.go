package mail

import (
	"fmt"
	htmltemplate "html/template"

	// skip2/go-qrcode rather than yeqown/go-qrcode/v2: one call from text
	// to PNG, no dependencies of its own, and the same bytes for the same
	// text (the tests compare the mailed image with one made from the
	// link they expect). yeqown's v2 splits its writers into further
	// modules and pulls in image-processing packages we have no other use for.
	qrcode "github.com/skip2/go-qrcode"

	"github.com/sorae/tabane/pkg/community"
)

// CheckInQRContentID names the check-in QR code inside a confirmation mail.
const CheckInQRContentID = "checkin-qr@tabane"

// CheckInQR is the PNG QR code of a check-in link, as the mail and my page
// show it. Medium error correction survives a cracked phone screen; 320 px
// scans from arm's length.
func CheckInQR(link string) ([]byte, error) {
	png, err := qrcode.Encode(link, qrcode.Medium, 320)
	if err != nil {
		return nil, fmt.Errorf("mail: check-in qr: %w", err)
	}
	return png, nil
}

// checkInInline is the inline image for checkInLink, and the data that
// shows it; none for "". The image goes inside the mail (multipart/related)
// rather than as a link to an image on our site: mail programs block
// remote images by default, and the code is wanted at the door, where the
// network may be poor.
func checkInInline(checkInLink string) ([]Inline, htmltemplate.URL, error) {
	if checkInLink == "" {
		return nil, "", nil
	}
	if err := checkURL("受付用", checkInLink, true); err != nil {
		return nil, "", err
	}
	png, err := CheckInQR(checkInLink)
	if err != nil {
		return nil, "", community.ErrInvalidLink.Messagef("受付用のQRコードを作れませんでした。")
	}
	return []Inline{{ContentID: CheckInQRContentID, ContentType: "image/png", Data: png}},
		htmltemplate.URL("cid:" + CheckInQRContentID), nil
}
