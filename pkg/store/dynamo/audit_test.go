package dynamo_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	s, calls, _ := newStore(t)
	alice, bob := community.NewID(base), community.NewID(base)
	var all []*community.AuditEntry
	for i := range 7 {
		at := base.Add(time.Duration(i) * time.Second)
		actor := alice
		if i%3 == 2 {
			actor = bob
		}
		a := &community.AuditEntry{
			ID: community.NewID(at), At: at, ActorID: actor, Action: community.AuditEventCreate,
			TargetType: "event", TargetID: community.NewID(at), Summary: "「私塾」を下書きとして作成",
		}
		if err := s.AppendAudit(ctx, a); err != nil {
			t.Fatal(err)
		}
		all = append(all, a)
	}
	err := s.AppendAudit(ctx, all[0])
	wantErr(t, err, community.ErrAuditExists)

	read := func(q community.AuditQuery) []*community.AuditEntry {
		t.Helper()
		var out []*community.AuditEntry
		for {
			calls.Reset()
			page, err := s.AuditLog(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if n := calls.Count("DynamoDB.Query"); n != 1 {
				t.Errorf("%d queries for one page", n)
			}
			out = append(out, page.Entries...)
			if page.NextCursor == "" {
				return out
			}
			q.Cursor = page.NextCursor
		}
	}
	newest := slices.Clone(all)
	slices.Reverse(newest)
	got := read(community.AuditQuery{Limit: 3})
	if len(got) != 7 {
		t.Fatalf("%d entries, want 7", len(got))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], newest[i]) {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], newest[i])
		}
	}
	var bobs []string
	for _, a := range read(community.AuditQuery{ActorID: bob, Limit: 1}) {
		bobs = append(bobs, a.ID)
	}
	if want := []string{all[5].ID, all[2].ID}; !slices.Equal(bobs, want) {
		t.Errorf("bob's entries %v, want %v", bobs, want)
	}

	t.Run("ErrCursor", func(t *testing.T) {
		page, err := s.AuditLog(ctx, community.AuditQuery{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.AuditLog(ctx, community.AuditQuery{ActorID: bob, Limit: 1, Cursor: page.NextCursor})
		wantErr(t, err, community.ErrInvalidCursor)
		_, err = s.AuditLog(ctx, community.AuditQuery{Limit: 1, Cursor: "x"})
		wantErr(t, err, community.ErrInvalidCursor)
	})
	t.Run("ErrLimit", func(t *testing.T) {
		_, err := s.AuditLog(ctx, community.AuditQuery{Limit: 101})
		wantErr(t, err, community.ErrInvalidLimit)
	})
}
