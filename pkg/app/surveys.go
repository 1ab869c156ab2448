package app

import "github.com/sorae/tabane/pkg/community"

// Surveys lets registrants answer after-event surveys by their mailed link.
func (d *Deps) Surveys() *community.Surveys {
	return &community.Surveys{Store: d.Store(), Links: d.Links(), Clock: d.Clock, Log: d.Log}
}

// OrgSurveys lets nominating organizations answer their surveys about
// their staff by their mailed link.
func (d *Deps) OrgSurveys() *community.OrgSurveys {
	return &community.OrgSurveys{Store: d.Store(), Links: d.Links(), Clock: d.Clock, Log: d.Log}
}

// Reconfirmations takes the answers behind a reconfirmation mail's links
// (参加します, キャンセルします).
func (d *Deps) Reconfirmations() *community.Reconfirmations {
	return &community.Reconfirmations{Regs: d.Registrations(), Store: d.Store(), Links: d.Links(), Clock: d.Clock}
}
