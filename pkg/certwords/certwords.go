// Package certwords writes what an attendance certificate (参加証明書)
// says of its event — the day and hours with the era, where it was held,
// the date of issue — so that the PDF (pkg/certpdf), the verification
// page and the verification API say it in the same words. It is apart
// from certpdf so that what only writes words does not carry the PDF
// font (8 MB) into its binary.
package certwords

import (
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// Place says where an event was, and under which label: 会場 with the
// venue's name and address (and the online platform too, for a hybrid
// event), or 開催方法 for an event online only.
func Place(e *community.Event) (label, place string) {
	r := Row(e)
	return r[0], r[1]
}

// Row is Place as the certificate's row: label, then place.
func Row(e *community.Event) [2]string {
	var at []string
	if v := e.Venue; v != nil {
		s := v.Name
		if v.Address != "" {
			s += "（" + v.Address + "）"
		}
		at = append(at, s)
	}
	if e.OnlinePlatform != "" {
		at = append(at, "オンライン（"+e.OnlinePlatform+"）")
	}
	switch {
	case len(at) == 0:
		return [2]string{"開催方法", "—"}
	case e.Venue == nil:
		return [2]string{"開催方法", at[0]}
	default:
		return [2]string{"会場", strings.Join(at, "／")}
	}
}

// When is an event's day and hours as every page and mail writes them
// (jadate.DateTimeRange, with the era): "令和7年5月14日(水) 19:00〜20:30",
// and across days "令和7年8月4日(月) 9:00〜8月8日(金) 17:00".
func When(start, end time.Time) string { return jadate.DateTimeRange(start, end) }

// Day is the date of issue with the era and without the weekday, as
// documents date themselves: "令和7年6月1日".
func Day(t time.Time) string {
	d := jadate.Date(t)
	if i := strings.IndexByte(d, '('); i > 0 {
		return d[:i]
	}
	return d
}
