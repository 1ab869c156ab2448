package httpapi

import (
	"context"

	"github.com/sorae/tabane/pkg/community"
)

// ViewerResolver tells who holds a session token. An empty token is an
// anonymous Viewer; a bad, expired or revoked one is Unauthorized.
// auth.Sessions implements it.
type ViewerResolver interface {
	Resolve(ctx context.Context, token string) (community.Viewer, error)
}

// Viewer returns who is asking: the holder of the bearer token or session
// cookie, or an anonymous viewer when there is neither.
func Viewer(ctx context.Context, req Request, r ViewerResolver) (community.Viewer, error) {
	token, err := SessionToken(req)
	if err != nil {
		return community.Viewer{}, err
	}
	return r.Resolve(ctx, token)
}

// Member is Viewer for routes that need someone signed in: anonymous
// callers are Unauthorized.
func Member(ctx context.Context, req Request, r ViewerResolver) (community.Viewer, error) {
	v, err := Viewer(ctx, req, r)
	if err != nil {
		return v, err
	}
	if v.Member == nil {
		return v, community.ErrUnauthorized
	}
	return v, nil
}
