package app

import "github.com/sorae/tabane/pkg/community"

// Surveys lets registrants answer after-event surveys by their mailed link.
func (d *Deps) Surveys() *community.Surveys {
	return &community.Surveys{Store: d.Store(), Links: d.Links(), Clock: d.Clock, Log: d.Log}
}
