package community

import (
	"testing"
	"time"
)

func TestAdmits(t *testing.T) {
	age := func(n int) *int { return &n }
	birth := time.Date(1995, 4, 1, 0, 0, 0, 0, Tokyo) // 31 on the lecture's day
	member := func(ms Membership, servant bool, status MemberStatus) *Member {
		return &Member{Membership: ms, PublicServant: servant, Status: status, Role: RoleMember, BirthDate: &birth}
	}
	regular := member(MembershipRegular, true, MemberActive)
	supporting := member(MembershipSupporting, false, MemberActive)
	tests := []struct {
		name     string
		audience Audience
		el       *Eligibility
		guest    bool
		m        *Member
		want     bool
	}{
		{"GuestPublic", AudiencePublic, nil, true, nil, true},
		{"GuestMembers", AudienceMembers, nil, true, nil, false},
		{"GuestPublicServantsOnly", AudiencePublic, &Eligibility{PublicServantOnly: true}, true, nil, false},
		{"GuestAgeLimit", AudiencePublic, &Eligibility{MinAge: age(25)}, true, nil, false},
		{"SupportingMembers", AudienceMembers, nil, false, supporting, true},
		{"SupportingRegular", AudienceRegular, nil, false, supporting, false},
		{"RegularRegular", AudienceRegular, nil, false, regular, true},
		{"SuspendedRegularStillFits", AudienceRegular, nil, false, member(MembershipRegular, true, MemberSuspended), true},
		{"NotAServant", AudienceMembers, &Eligibility{PublicServantOnly: true}, false, supporting, false},
		{"InAgeRange", AudienceMembers, &Eligibility{MinAge: age(25), MaxAge: age(39)}, false, regular, true},
		{"TooYoung", AudienceMembers, &Eligibility{MinAge: age(35)}, false, regular, false},
		{"NoBirthDate", AudienceMembers, &Eligibility{MaxAge: age(39)}, false, &Member{Membership: MembershipRegular, Status: MemberActive}, false},
		{"UnknownMember", AudienceMembers, nil, false, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := validLecture()
			e.Audience, e.Eligibility = tt.audience, tt.el
			if got := admits(e, tt.guest, tt.m); got != tt.want {
				t.Errorf("admits = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAdmissionChanged(t *testing.T) {
	ages := &Eligibility{MinAge: new(int)}
	tests := []struct {
		name    string
		changed []string
		el      *Eligibility
		want    bool
	}{
		{"Audience", []string{"title", "audience"}, nil, true},
		{"Eligibility", []string{"eligibility"}, nil, true},
		{"StartWithAgeLimit", []string{"starts_at", "ends_at"}, ages, true},
		{"StartWithoutAgeLimit", []string{"starts_at", "ends_at"}, &Eligibility{PublicServantOnly: true}, false},
		{"Other", []string{"title", "capacity", "join_url"}, ages, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := validLecture()
			e.Eligibility = tt.el
			if got := admissionChanged(tt.changed, e); got != tt.want {
				t.Errorf("admissionChanged = %v, want %v", got, tt.want)
			}
		})
	}
}
