// Package mail composes and sends tabane's mails: Japanese text and HTML
// parts from templates, the community's name and contact in every footer,
// an opt-out link and List-Unsubscribe headers on non-transactional mail, an
// .ics invitation where there is an event to remember, all built as raw MIME
// (standard library only) and handed to SES with SendRawEmail, one message per
// recipient.
//
// Three pieces, each usable alone:
//   - Message and Message.Encode: the MIME builder. Every value that came from
//     a person (names, subjects, titles) is made single-line before it reaches
//     a header, and addresses are checked, so no input can add a header.
//   - Composer: one typed builder per mail, reading its settings from
//     config.Config. Event mails never read Event.JoinURL themselves; the
//     caller passes the join URL only where the recipient holds a confirmed seat.
//   - Sender: SendRawEmail with a deadline on every call and jittered
//     backoff when SES throttles.
package mail
