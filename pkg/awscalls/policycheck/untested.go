package policycheck

// Untested excuses grants no test of the function's package makes a call
// for, keyed as Grant.String() prints them, each with the reason. An entry
// that a call does use, or that names no grant, fails the check.
var Untested = map[string]string{
	// eventsapi's tests resolve viewers with a stand-in, so its handler reads
	// no session or member and has no registrations of the viewer to look up;
	// pkg/rsvpapi's tests make these calls through eventsapi.Wire, and the
	// check allows them there.
	"EventsFunction dynamodb:GetItem table SESSION#*":          "viewer stand-in in eventsapi's tests; exercised in pkg/rsvpapi",
	"EventsFunction dynamodb:Query table EVENT#*":              "the viewer's own registrations; exercised in pkg/rsvpapi",
	"AdminFunction dynamodb:GetItem table IDEM#*":              "a repeated Idempotency-Key reads its record; adminapi's tests repeat none",
	"BouncesFunction dynamodb:GetItem table MEMBER#*":          "marking the member who holds a bounced address; bouncesjob's tests bounce addresses no member holds",
	"BouncesFunction dynamodb:UpdateItem table MEMBER#*":       "marking the member who holds a bounced address; bouncesjob's tests bounce addresses no member holds",
	"MailerFunction dynamodb:GetItem table MEMBER#*":           "member mails' recipients; mailerjob's tests send registration mails only (the Mailroom is tested in pkg/community)",
	"MailerFunction dynamodb:GetItem table MESSAGE#*":          "organizer messages' text; not sent in mailerjob's tests",
	"MailerFunction dynamodb:UpdateItem table EVENT#*":         "a reconfirmation request marked as mailed; mailerjob's tests send registration mails only (tested in pkg/remindersjob, below the handler)",
	"MailerFunction dynamodb:GetItem table SUPPRESS#*":         "the suppression list read before a send to a member address; not reached in mailerjob's tests",
	"RemindersFunction dynamodb:GetItem table NOMINATION#*":    "nominations anonymized with an event's guests; the nominee path is tested in pkg/store/dynamo (TestAnonymizeGuests), below the handler",
	"RemindersFunction dynamodb:UpdateItem table NOMINATION#*": "nominations anonymized with an event's guests; tested in pkg/store/dynamo, below the handler",
	"RemindersFunction dynamodb:PutItem table AUDIT#*":         "a lottery draw's audit entry; lottery sweeps are tested in pkg/community and pkg/eventsapi",
	"RemindersFunction dynamodb:Query index/GSI2":              "applicants' past attendance for lottery weights; tested below the handler",
	"SignupFunction dynamodb:DeleteItem table SUPPRESS#*":      "a suppression lifted when a link proves the address again (doc.go); signupapi's tests suppress no address",
	"WebFunction dynamodb:DeleteItem table SUPPRESS#*":         "a suppression lifted when a link proves the address again (doc.go); web's tests suppress no address",
	"WebFunction dynamodb:GetItem table NOMINATION#*":          "the nomination form (POST /events/{id}/nominate) is tested in pkg/rsvpapi's nominations_test.go, through web.Wire",
	"WebFunction dynamodb:PutItem table NOMINATION#*":          "the nomination form (POST /events/{id}/nominate) is tested in pkg/rsvpapi's nominations_test.go, through web.Wire",
}
