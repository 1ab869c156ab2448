package community

import (
	"context"
	"fmt"
)

// Export returns event id's applications awaiting a result (as List does)
// with the event, for a spreadsheet. Like the attendee export it is
// audited: it carries personal data out.
func (a *Applications) Export(ctx context.Context, v Viewer, id string) (*Event, []Application, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, nil, err
	}
	e, apps, err := a.list(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditRegistrationsExport, "event", id, fmt.Sprintf("「%s」の申込一覧を出力（%d件）", e.Title, len(apps)))
	return e, apps, nil
}
