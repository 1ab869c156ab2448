package mail

import (
	htmltemplate "html/template"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/qr"
)

// CheckInQRContentID names the check-in QR code inside a confirmation mail.
const CheckInQRContentID = "checkin-qr@tabane"

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
	png, err := qr.PNG(checkInLink)
	if err != nil {
		return nil, "", community.ErrInvalidLink.Messagef("受付用のQRコードを作れませんでした。")
	}
	return []Inline{{ContentID: CheckInQRContentID, ContentType: "image/png", Data: png}},
		htmltemplate.URL("cid:" + CheckInQRContentID), nil
}
