package httpapi

import (
	"context"
	"log/slog"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/idempotency"
)

// Idempotent runs work once per Idempotency-Key: a retry with the same key
// gets the kept answer instead of doing the work again (a second
// registration, a second round of mails). scope names whose key it is (a
// member, a guest's address, an organizer), so two callers choosing the same
// key never see each other's answers; fingerprint names what the request
// asked, so a key reused for another request is refused. Without a key, or
// without a keeper, work simply runs. Errors of work are kept as the
// answers they become, so a retry sees the same refusal.
func Idempotent(ctx context.Context, log *slog.Logger, keeper *idempotency.Keeper, req Request, scope, fingerprint string,
	work func(ctx context.Context) (Response, error)) (Response, error) {
	key := Header(req, "Idempotency-Key")
	if key == "" || keeper == nil {
		return work(ctx)
	}
	if !idempotency.ValidKey(key) {
		return Response{}, community.ErrInvalidIdemKey
	}
	a, err := keeper.Do(ctx, scope+"|"+req.RouteKey+"|"+key, fingerprint, func(ctx context.Context) idempotency.Answer {
		resp, err := work(ctx)
		if err != nil {
			resp = Error(ctx, log, err)
		}
		return idempotency.Answer{Status: resp.StatusCode, Body: resp.Body, ContentType: resp.Headers["Content-Type"]}
	})
	if err != nil {
		return Response{}, err
	}
	resp := Body(a.Status, a.ContentType, a.Body)
	if resp.Headers["Content-Type"] == "" {
		resp.Headers["Content-Type"] = ContentTypeJSON
	}
	resp.Headers["Idempotency-Key"] = key
	return resp, nil
}
