package mailerjob

import (
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/app/mailing"
)

// Wire builds MailerFunction's handler.
func Wire(d *app.Deps) (*Handler, error) {
	room, err := mailing.New(d).Mailroom()
	if err != nil {
		return nil, err
	}
	return New(room, d.Log), nil
}
