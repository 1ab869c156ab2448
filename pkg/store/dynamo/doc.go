// Package dynamo implements community.Store (and community.MembershipStore)
// on one DynamoDB table through aws-sdk-go-v2, with attributevalue for items
// and expression for every key, condition and update. Every access pattern
// is a GetItem, a Query or a transaction; nothing on a request path scans.
//
// # Table
//
// One table (template.yaml, resource Table): primary key PK/SK, three
// overloaded GSIs GSI1–GSI3 (each GSInPK/GSInSK, projection ALL), TTL on
// expires_at (epoch seconds). An index key is written only on the items
// that belong in that index, so each index is sparse: drafts, for example,
// are absent from the event listing rather than filtered out of it.
//
// Notation: <startsUTC>, <createdUTC>, <atUTC>, <dueUTC> are times in the
// fixed-width UTC form 2006-01-02T15:04:05Z, so strings sort as times;
// <email> is lower-cased and trimmed; <id>s are community.NewID values,
// which themselves sort by creation time. Every item has a "type" attribute
// naming its kind.
//
// # Items
//
//	item                   PK                     SK                               TTL (expires_at)
//	---------------------  ---------------------  -------------------------------  ----------------
//	event                  EVENT#<eid>            EVENT                            -
//	member                 MEMBER#<mid>           MEMBER                           while unverified (created + 7 d)
//	email claim            EMAIL#<email>          EMAIL                            its member's
//	session                SESSION#<sid>          SESSION                          yes
//	token                  TOKEN#<digest>         TOKEN                            yes
//	rate counter           RATE#<sha256(key)>     <window>#<windowStartUTC>        yes
//	registration           EVENT#<eid>            REG#<rid>                        -
//	attendee               EVENT#<eid>            ATTENDEE#M#<mid>                 -
//	                                              ATTENDEE#G#<sha256(email)>
//	waitlist ticket        EVENT#<eid>            WAITLIST_SEQ                     -
//	                                              WAITLIST_SEQ#<fid> (a frame's)
//	lottery                EVENT#<eid>            LOTTERY                          -
//	reminder               EVENT#<eid>            REMINDER#<offset seconds>        yes (start + 30 d)
//	survey schedule        EVENT#<eid>            SURVEY (attendees)               yes (survey close + 30 d)
//	                                              SURVEY#ORG (organizations)
//	organization survey    EVENT#<eid>            ORGSURVEY#<org mid>              -
//	idempotency            IDEM#<sha256(key)>     IDEM                             yes
//	outbox mail            OUTBOX#<mail id>       OUTBOX                           yes (settled + 7 d; unsettled: created + 30 d)
//	organizer message      MESSAGE#<msg id>       MESSAGE                          yes (created + 30 d)
//	suppression            SUPPRESS#<hmac(email)> SUPPRESS                         -
//	nomination             NOMINATION#<nid>       NOMINATION                       -
//	nomination counter     EVENT#<eid>            NOMCOUNT#<org mid>               -
//	anonymization schedule EVENT#<eid>            PRIVACY                          -
//	calendar feed token    CALTOKEN#<hmac(token)> CALTOKEN                         -
//
// Index keys, written only where the last column says:
//
//	index  item                    GSInPK                 GSInSK                         written
//	-----  ----------------------  ---------------------  -----------------------------  -----------------------------
//	GSI1   event                   EVENTS                 <startsUTC>#<eid>              while published
//	GSI1   event                   DRAFTS                 <startsUTC>#<eid>              while a draft
//	GSI1   event                   CANCELLED              <startsUTC>#<eid>              once cancelled
//	GSI1   member                  MEMBERS#<status>       <createdUTC>#<mid>             always
//	GSI1   registration            EREG#<eid>#<status>    <rid>                          confirmed, cancelled, applied, declined
//	GSI1   registration            EREG#<eid>#waitlisted  <seq, 20 digits>#<rid>         waitlisted
//	GSI1   registration            EREG#<eid>#waitlisted  F#<fid>#<seq, 20 digits>#<rid> waitlisted in frame <fid>
//	GSI1   outbox mail             MSG#<msg id>           <rid>                          organizer_message, always
//	GSI2   event                   EVENTS#<kind>          <startsUTC>#<eid>              while published
//	GSI2   registration            MREG#<mid>             <startsUTC>#<eid>#<rid>        a member's, any status
//	GSI2   nomination              ORGNOM#<org mid>       <createdUTC>#<nid>             always
//	GSI2   organization survey     ORGSURVEY#<org mid>    <eid>                          always
//	GSI3   event                   SERIES#<sid>           <startsUTC>#<eid>              when in a series, any status
//	GSI3   reminder                REMINDERS              <dueUTC>#<eid>#<offset s>      until handled for everyone
//	GSI3   survey schedule         SURVEYS                <dueUTC>#<eid>[#organizations] until handed over to everyone
//	GSI3   outbox mail             OUTBOX                 <createdUTC>#<mail id>         until settled
//	GSI3   lottery                 LOTTERIES              <drawUTC>#<eid>                until drawn and applied
//	GSI3   anonymization schedule  ANONYMIZE              <dueUTC>#<eid>                 until the guests are anonymized
//	GSI3   member                  CONSENT_IPS            <dropUTC>#<mid>                while the consent holds an IP
//
// Notes on the items:
//   - event (issue 10): mode ("" = first come) and lottery {draw_at,
//     reserves, first_time_weight, fill_remaining, commitment, drawn_at}
//     are editable attributes like the rest; the commitment is written
//     when the event is published (or lottery mode is set while it is),
//     drawn_at by the draw, which also moves updated_at so an edit read
//     before the draw cannot write the lottery back undrawn.
//   - registration (issue 10): status applied (an application: no seat, no
//     counter; it holds the attendee item like a live registration, and
//     keeps it when declined, so nobody applies twice), declined (落選・
//     見送り), and decision (selected, waitlisted, declined) until the
//     決定通知 turns it into the status.
//   - lottery: {event_id, seed, draw_at, result, drawn_at}. The secret seed
//     lives only here, never on the event item or in a log, until the
//     stored result (lottery.Result JSON, which includes it) is published.
//     Indexed on GSI3 LOTTERIES by draw time until the draw is drawn and
//     applied, so the sweep's Query costs what is due.
//   - event: the counters confirmed_count and waitlist_count (and
//     checked_in_count, whole event, absent = 0) live on the event item, so a registration and its counter change in one
//     transaction. They change without touching updated_at, which is the
//     organizer's edit time (the iCalendar SEQUENCE follows it). Any other
//     write of the event item must leave them alone (UpdateItem of the
//     edited attributes, not a Put of an item read earlier), and a change of
//     starts_at must rewrite event_starts_at and GSI2SK of the event's
//     registrations. Publishing adds the GSI1/GSI2 keys;
//     cancelling removes them. GSI3 keeps every occurrence of a series,
//     drafts included, so the series clock never creates one twice.
//     questions (list of {id, label, help, kind, required, max_length,
//     options, max_choices}) is the event's application form, written with
//     the other editable attributes. survey ({questions (as above),
//     send_after_s, closes_after_s}) is the after-event survey, written
//     with them too (community.Survey; absent when none).
//   - survey schedule: {event_id, due_at (end + send_after), expires_at}.
//     Put in the create transaction of a published event with a survey,
//     and by SyncEventReminders on every later event write (IF new OR
//     due_at <> :due, so a finished one stays finished while its time
//     holds); deleted when the event is unpublished or the survey removed.
//     The sweep removes its GSI3 keys once every recipient was handed over.
//   - event frames (参加枠, issue 10): frames is the list the organizer
//     entered ({id, name, capacity, waitlist, eligibility, join_url,
//     online_platform, venue, mode}); fstate is a map from frame id to
//     {capacity, waitlist, confirmed_count, waitlist_count}, the frame's
//     copy of what the registering transaction conditions and updates
//     (fstate.<fid>.confirmed_count < fstate.<fid>.capacity ...), exactly as
//     it does the event's own attributes for the default frame. An event
//     without frames has neither attribute and is one default frame made of
//     its own capacity, waitlist, join_url and counters: items written before
//     frames need no migration, and registrations in it carry no frame_id.
//     The counters live on the event item, not an item per frame, so that a
//     listing reads every frame's seats with the event (no extra reads) and
//     the event's status is in the same condition; registrations in
//     different frames of one event contend on that item as registrations
//     of one event always did. An edit (UpdateEvent with Before) SETs a kept
//     frame's capacity and waitlist IF its confirmed_count fits, SETs a new
//     frame's fstate entry with zero counters, and REMOVEs a dropped one IF
//     nobody holds a place in it; the first frames of an event replace its
//     default frame only while its own counters are 0.
//   - member: ver is a version number; every replacing write requires the
//     version it read, so a member item and its email claim cannot drift.
//     Retention (issue 14, community/retention.go): an unverified member
//     carries expires_at = created + community.UnverifiedRetention, and so
//     does its claim; the write that takes it out of unverified Puts the
//     claim again without it (IF member_id = :mid), in the same
//     transaction. Reads treat an expired one as gone (community.Member.
//     Expired), as TTL deletes late. consent.ip, while present, puts the
//     member in GSI3 CONSENT_IPS at consent.agreed_at +
//     community.ConsentIPRetention; the sweep REMOVEs it (and the keys)
//     ADD ver :1, and withdrawal erases it with the rest.
//   - email claim: {member_id, expires_at (its unverified member's)}.
//     Written in the same transaction as the member (IF
//     attribute_not_exists(PK) OR expires_at <= the new member's created
//     time: an expired claim is free before TTL deletes it), moved
//     transactionally on an email change, deleted on withdrawal. The table
//     itself keeps emails unique, case-insensitively.
//   - anonymization schedule (retention.go): {event_id, due_at (end +
//     community.GuestRetention)}. Put by every event write but a draft's
//     (CreateEvent, SyncEventReminders) IF new OR due_at <> :due; kept for
//     cancelled events. The retention sweep anonymizes the event's guest
//     registrations, then REMOVEs the GSI3 keys IF due_at = :read. An
//     anonymized registration has guest_name "ゲスト（匿名化済み）" and
//     anonymized_at, and no guest_email, answers, survey_answers,
//     department, birth_date, attendee_sk nor attendee item; its
//     nominations' nominees keep only reg_id and that name.
//   - calendar feed token (personal calendar feed, community.CalendarFeed):
//     {member_id, issued_at}. <hmac(token)> is the keyed digest of the
//     feed URL's token, never the token. The member item carries calendar
//     {nonce, token_digest, issued_at}, the current feed; issuing, renewing
//     and stopping write both in one transaction (member: ADD ver :1 IF
//     ver = :read; old token item deleted; new one put IF new), so a
//     renewed or stopped URL is unknown at once. Withdrawal drops the
//     member's calendar and deletes its token item in the erasing
//     transaction.
//   - session: {member_id, created_at, expires_at}. token: {purpose,
//     member_id, data, created_at, expires_at}; the id is a digest of the
//     secret in the mailed link, so a table dump yields no usable link.
//     A pending guest request (purpose guest_confirm, community.GuestRequests)
//     is a token too: data is {event_id, name, email, answers} as the guest typed
//     them, the id the keyed digest of the signed confirmation link (which
//     names the event and the registration id the request reserved); put
//     with its guest_confirmation outbox mail in one transaction, read when
//     the link is opened, deleted once the registration is made, else gone
//     with TTL after 24 h. It holds no seat and touches no event counter.
//   - rate counter: {count}; the caller's key (often an email address) is
//     stored only as a digest, so withdrawal leaves no address behind.
//   - suppression: {reason (bounce | complaint), at, message_id (SES's, of
//     the mail that bounced)}. An address SES reported as permanently
//     bouncing or complaining (BouncesFunction); the mailer reads it before
//     every send. <hmac(email)> is a keyed digest (auth.Secrets' HMAC of
//     "suppression", NUL, <email>; Store.WithDigest), so a table dump does
//     not confirm a guessed address without the key. The key is the
//     keyring's digest key, which rotating the signing keys leaves alone
//     (docs/keys.md); changing it empties the list in effect. It outlives
//     withdrawal on purpose.
//     The member holding the address, if any, carries a copy as
//     mail_suppressed {reason, at, message_id} for organizers; a write of the
//     member that drops the copy (a verification or sign-in link followed)
//     deletes the item in the same transaction.
//   - registration: {id, event_id, frame_id (absent: the default frame),
//     attendee_sk (when not the per-event key), member_id | guest_name + guest_email,
//     status, waitlist_seq (once waitlisted), event_starts_at, created_at,
//     updated_at, checked_in_at, cancelled_at, reminders_sent (string set of
//     community.ReminderMark "<offset s>@<startsUTC>", ADDed in the
//     transaction that hands the reminder over with its outbox mail),
//     opt_outs (string set: "reminders", "messages" — what the registrant
//     stopped for this registration by a mail's one-click link), answers
//     (list of {q: question id, t: text | c: [choices]}, the answers to the
//     event's questions as community.Form.CheckAnswers normalized them;
//     personal data: WithdrawMember REMOVEs them from every registration of
//     the member, found through GSI2 MREG#<mid>)}. A registration of an
//     event with questions is written only while the event's updated_at is
//     the one its answers were checked against. updated_at changes only with the status, so a confirmed
//     registration that once waited (waitlist_seq > 0) was confirmed at its
//     updated_at (community.ConfirmedAt). The GSI1 keys follow the status. rid is a NewID, so
//     confirmed and cancelled lists read in arrival order.
//   - waitlist ticket: {seq, burned, left}. The waitlist is ordered by a
//     ticket from UpdateItem ADD seq :1 (ReturnValues UPDATED_NEW), not by
//     rid: a rid carries the caller's clock (fixed in tests, skewed between
//     Lambdas, and older by every retry), and a transaction cannot return
//     what its ADD made. The ticket has its own item so that taking one
//     never collides with a transaction on the event item. A person takes
//     one ticket the first time the waitlist is their way in and keeps it
//     across every retry. burned (number set) holds the tickets that never
//     became a waitlisted registration: ADDed in the registering
//     transaction when the holder got a seat after all, or by one UpdateItem
//     when the registration was refused. left (number set) holds the tickets
//     of registrations that left the line, ADDed in the transaction that
//     promotes or cancels them. A place in line is then exact and needs no
//     index: seq − |burned below seq| − |left below seq| (issue 10: a place
//     counted from the index while others still wrote gave 200 people 190
//     places with duplicates). A ticket burned while later people are
//     answered can leave them one place too high until they read it again;
//     it never makes two registrations share a place at rest. Whoever starts
//     to join after another has joined queues behind them; only two joins
//     in flight together may commit against their tickets' order.
//   - attendee: {reg_id}. Put with attribute_not_exists(PK) in the
//     registering transaction and deleted in the cancelling one, so one
//     person (a member, or a guest address case-insensitively) holds at most
//     one live registration per event and may register again after
//     cancelling. A guest's address is keyed only by its digest. In an event
//     whose people may hold places in several frames (multiple_frames) the
//     key gets #F#<fid>: one live registration per person per frame; the
//     registration keeps the key it used as attendee_sk.
//   - reminder: {event_id, offset_s, starts_at, due_at = starts_at -
//     offset}, one per published event and offset (community.ReminderOffsetsOf:
//     the event's own, or 24 h and 1 h when unset). Written with a published
//     event in CreateEvent's transaction and kept in step by
//     SyncEventReminders (publish, edit, cancel): put IF new or IF starts_at
//     differs, so a moved event is due again at its new times while syncing an
//     unchanged one leaves a finished reminder finished; deleted for drafts and
//     cancelled events. Its GSI3 keys are removed (FinishReminder) once every
//     confirmed registration was sent it or skipped for good, and the item is
//     deleted (DropReminder) when its event is cancelled, unpublished or
//     started — both IF starts_at is still the one the sweep read. So the
//     REMINDERS partition holds only reminders still owed to someone, and what
//     stays unsent stays due. GSI3 is shared with series occurrences; the
//     partitions (REMINDERS, SERIES#<sid>) never meet. One partition suits a
//     community's volume (a few writes per event and reminder).
//     A reminder handed over is an outbox mail (kind reminder) put in one
//     transaction with the mark on its registration: the registration's
//     reminders_sent is the once-only guard, so no claim item is kept (the
//     REMINDED# claim items of earlier versions expire by TTL).
//   - outbox mail: {kind, event_id, reg_id, state, owner, claim_until
//     (epoch ms), attempts, uncertain, message_id, created_at, settled_at}. One per mail
//     owed (community.Mail), put in the transaction of the change that owes
//     it (a registration, a cancellation, a promotion), so the change and its
//     mail commit together. The id names the change (<rid>.<kind>): the
//     change commits once, so the mail is owed once. It holds references,
//     never an address: the mailer reads the registration and the member
//     when it sends. Its INSERT on the table's stream (NEW_IMAGE) invokes
//     MailerFunction (FilterCriteria: type = outbox). state "pending", then
//     "claimed" by one delivery (a conditional UpdateItem; an expired claim
//     is taken over, attempts counts them), then "sent", "skipped" or
//     "refused" for good, when its GSI3 keys are removed: the OUTBOX
//     partition holds only what is not settled, which the mailer's
//     scheduled re-drive delivers after 15 minutes. A send cut off mid-call
//     keeps its claim for 15 more minutes (claim_until, uncertain = true):
//     SES's Send event, tagged with the item (community.MailTag), settles it
//     as sent whoever holds the claim (ConfirmMailSent: UpdateItem IF state
//     is pending or claimed); without one, the re-drive sends it again. Two kinds carry more: an event_cancelled
//     notice is put by EndRegistration in the transaction that ends the
//     registration (<rid>.event_cancelled: the end commits once, so does
//     the notice; the reason is read from the event when it is sent); an
//     organizer_message mail is named <msg id>.<rid>, carries msg_id, and
//     keeps GSI1 MSG#<msg id> / <rid> for good, so its message's progress
//     is one Query of every state; registrations whose opt_outs hold
//     "messages" get none. A reminder mail is named
//     <rid>.reminder.<offset s>@<startsUTC> (the registration's mark) and
//     carries offset_s and starts_at; the mailer sends it only while the
//     event is published, not started, still starts at starts_at and still
//     reminds at that offset (a moved event's reminders are due again for
//     the new start), and the registration is confirmed and not opted out.
//   - organizer message: {event_id, subject, body, include_waitlisted,
//     actor_id, created_at}. Stored once per message (PutItem IF
//     attribute_not_exists(PK)); the id is community.MessageID, a digest of
//     the organizer and their Idempotency-Key, or without a key of the event
//     and the text, so a repeated request names the same message and its
//     mails. The mailer reads subject and body from it when it sends; it
//     expires with the last of its mails that could still be unsent.
//   - nomination (団体推薦, community.Nominations): {id, event_id,
//     organization_id, nominees [{reg_id, name, email, department,
//     birth_date, reason}], created_at, links_expire_at}. What the
//     organization's contact typed, for the contact's own list; each
//     nominee's reg_id is the registration their confirmation makes. Each
//     nominee's pending confirmation is a token (purpose
//     nomination_confirm; data {nomination_id, event_id, organization_id,
//     name, email, department, birth_date}; expires with the links), put
//     in the nomination's transaction with its nomination_confirmation
//     outbox mail (<rid>.nomination_confirmation). Confirming Applies the
//     registration (organization_id, department, birth_date on it) and
//     deletes the token; a nominee's state is read from the registration,
//     else pending or expired by links_expire_at.
//   - nomination counter: {nomination_ids, ver}: an organization's
//     nominations for one event, so the cap (Event.NominationCap) is
//     counted from consistent reads, never from the eventually consistent
//     GSI2. It has its own item in the event's partition, so nominating
//     never contends with registrations on the event item.
//
// Registrations carry the survey's state too: survey_sent_at (set in the
// transaction that puts its OUTBOX#<rid>.survey mail), survey_answers
// (list as answers) and survey_answered_at; WithdrawMember REMOVEs
// survey_answers with answers.
//
// Organizations' surveys (団体向け事後アンケート, community.OrgSurveys): the
// event item's org_survey has the survey's shape; its schedule is a second
// survey schedule item (SK SURVEY#ORG, audience "organizations", GSI3SK
// suffixed #organizations) kept by the same writes. An organization
// survey item {event_id, organization_id, staff_reg_ids (string set: the
// registrations of the staff who attended), sent_at, answers (list as
// answers), answered_at} is put IF attribute_not_exists(PK) in the
// transaction with its OUTBOX#<eid>.org_survey.<org mid> mail (member_id:
// the organization), so the pair is owed once; the mailer names the staff
// from their registrations when it sends. WithdrawMember REMOVEs answers
// from the member's, found through GSI2 ORGSURVEY#<mid>.
//
// # Access patterns
//
//	pattern (docs/openapi.yaml)                              operation
//	-----------------------------------------------  --------------------------------------------------------------------------------
//	event by id                                      GetItem EVENT#<eid> / EVENT
//	create event                                     PutItem IF attribute_not_exists(PK)
//	upcoming published events, all kinds             Query GSI1 GSI1PK = EVENTS AND GSI1SK BETWEEN <from> AND <to> (or >= <from>),
//	  or one date range                                Limit n+1, one Query per page; the cursor is the key of the page's last item
//	upcoming published events of one kind            the same on GSI2 with GSI2PK = EVENTS#<kind>
//	past published events (開催履歴), latest first    Query GSI1 GSI1PK = EVENTS AND GSI1SK < <now>, ScanIndexForward false, Limit n+1,
//	                                                   one Query per page, cursor as above (a cursor at or past <now> is invalid);
//	                                                   cancelled events are not in EVENTS, so the history lists what was held
//	member by id                                     GetItem MEMBER#<mid> / MEMBER (consistent)
//	member by email (unique, case-insensitive)       GetItem EMAIL#<email> / EMAIL, then GetItem MEMBER#<member_id>
//	sign up (email uniqueness)                       TransactWriteItems: Put member + Put email claim, both IF attribute_not_exists(PK)
//	update member, change email                      TransactWriteItems: Put member IF ver = :read, Delete old claim IF member_id = :mid,
//	                                                   Put new claim IF attribute_not_exists(PK)
//	members by status (approval queue)               Query GSI1 GSI1PK = MEMBERS#<status>, oldest first, paginated
//	withdraw (erase personal data)                   TransactWriteItems: Put erased member IF ver = :read, Delete claim IF member_id = :mid
//	session                                          PutItem IF attribute_not_exists(PK); GetItem, expired ones ignored in Go; DeleteItem
//	single-use tokens                                PutItem IF attribute_not_exists(PK); consume: DeleteItem IF purpose = :p AND
//	                                                   expires_at > :now, ReturnValues ALL_OLD (exactly one concurrent winner)
//	per-address / per-IP rate-limit counters         UpdateItem ADD count :1 SET expires_at, ReturnValues UPDATED_NEW (guest
//	                                                   requests: guest#ip#<hmac(ip)> and mail#guest#<hmac(email)>, hourly)
//	request as a guest                               TransactWriteItems: [Put TOKEN#<hmac(link)> IF attribute_not_exists(PK); Put
//	                                                   OUTBOX#<rid>.guest_confirmation]
//	confirm as a guest                               GetItem TOKEN#…, then the register transaction with the reserved <rid>
//	                                                   (a second click: registration_exists → GetItem the registration), then
//	                                                   consume the token
//	is an address suppressed (before every send)     GetItem SUPPRESS#<hmac(email)> / SUPPRESS (consistent)
//	suppress an address (bounce, complaint)          GetItem EMAIL#<email>, GetItem MEMBER#<mid>, then TransactWriteItems: [Put
//	                                                   suppression (unconditional: the latest notice wins); Update member SET
//	                                                   mail_suppressed ADD ver :1 IF ver = :read] — the member part only when one
//	                                                   holds the address; a lost race reads again
//	lift a suppression (address proved again)        the update-member transaction plus Delete SUPPRESS#<hmac(email)>, when the
//	                                                   write drops the member's mail_suppressed
//	register for an event                            TransactWriteItems: [Update event ADD confirmed_count :1 IF status = published
//	                                                   AND waitlist_count = 0 AND (capacity = 0 OR confirmed_count < capacity),
//	                                                   ReturnValuesOnConditionCheckFailure ALL_OLD; Put attendee IF not exists;
//	                                                   Put registration IF not exists]; or, full or with people waiting, a ticket
//	                                                   (UpdateItem WAITLIST_SEQ, once, kept across retries; a ticket not used is
//	                                                   ADDed to burned) and [Update event ADD waitlist_count :1 IF status =
//	                                                   published AND waitlist AND capacity > 0 AND (confirmed_count >= capacity OR
//	                                                   waitlist_count > 0); Put attendee; Put registration]. A failed event condition
//	                                                   returns the event as it was, which says which way is open; a conflict backs off
//	cancel a waitlisted place                        TransactWriteItems: [registration → cancelled IF status = waitlisted; Delete attendee
//	                                                   IF reg_id = :rid; event ADD waitlist_count :-1 IF waitlist_count > 0; WAITLIST_SEQ
//	                                                   ADD left :{seq}]
//	cancel a seat, promote the waitlist head         GetItem registration and event (consistent); Query GSI1 EREG#<eid>#waitlisted (head
//	                                                   first), then TransactWriteItems: [registration → cancelled IF status = confirmed;
//	                                                   Delete attendee; head → confirmed IF status = waitlisted; event ADD waitlist_count
//	                                                   :-1 IF status = published AND waitlist_count > 0; WAITLIST_SEQ ADD left :{head's
//	                                                   seq}] — confirmed_count unchanged.
//	                                                   Nobody waiting (or event not published): event ADD confirmed_count :-1 IF
//	                                                   confirmed_count > 0 AND (waitlist_count = 0 OR status <> published)
//	                                                   A seat's registration condition also pins checked_in_at as read
//	                                                   (attribute_exists / attribute_not_exists); a checked-in seat's event
//	                                                   update also ADDs checked_in_count :-1 IF checked_in_count > 0, once, with
//	                                                   the one transaction that ends it. The registration keeps checked_in_at
//	                                                   (the record that the person came); its undo is refused (status <> confirmed)
//	an event's registrations by status               Query GSI1 GSI1PK = EREG#<eid>#<status>, arrival order, paginated like events
//	waitlist in arrival order                        Query GSI1 GSI1PK = EREG#<eid>#waitlisted
//	a place in the waitlist                          GetItem WAITLIST_SEQ (consistent); place = seq − burned below − left below
//	one person's live registrations for an event     Query PK = EVENT#<eid> AND begins_with(SK, "ATTENDEE#M#<mid>") (a guest:
//	  (one per frame with multiple_frames)             ATTENDEE#G#<sha256(email)>), consistent, keeping only that key and its
//	                                                   #F#<fid> forms; then one BatchGetItem (consistent) of the registrations
//	                                                   they name: two calls whatever the frames (at most 10)
//	count an event's confirmed registrations         Query PK = EVENT#<eid> AND begins_with(SK, "REG#"), consistent, filter status,
//	                                                   Select COUNT (checks the counter; reads the event's registrations)
//	a member's registrations (my page)               Query GSI2 GSI2PK = MREG#<mid>, soonest event first, every page
//	personal calendar feed (GET /api/me/calendar.ics) GetItem CALTOKEN#<hmac(token)>, GetItem MEMBER#<mid> (consistent), Query GSI2
//	                                                   MREG#<mid> AND GSI2SK BETWEEN <now-1y> AND <now+3y> (every page), then
//	                                                   BatchGetItem of the confirmed ones' events, 100 a call: 4 calls for up to 100
//	                                                   events in the window
//	issue, renew, stop a calendar feed               TransactWriteItems: [Update member SET|REMOVE calendar ADD ver :1 IF ver = :read;
//	                                                   Delete old CALTOKEN# IF absent OR member_id = :mid; Put new CALTOKEN# IF new]
//	reminders due now                                Query GSI3 GSI3PK = REMINDERS AND GSI3SK < <now+1s UTC>, every page; cost grows with
//	                                                   what is due (handled reminders leave the index)
//	mail owed with its change                        TransactWriteItems: the change's items + Put OUTBOX#<rid>.<kind>
//	claim / settle / release an outbox mail          UpdateItem IF state = pending OR (claimed AND claim_until < now) / IF owner holds it
//	outbox mail unsettled for 15 minutes             Query GSI3 GSI3PK = OUTBOX AND GSI3SK < <now-15m UTC>, Limit 200; cost grows with
//	                                                   what is unsent, not with the table
//	create a published event                         TransactWriteItems: [Put event IF attribute_not_exists(PK); Put each reminder]
//	sync an event's reminders (and survey schedule)  Query PK = EVENT#<eid> AND SK BETWEEN "REMINDER#" AND "SURVEY#ORG" (consistent:
//	                                                   the reminders and the two survey schedules, nothing else); DeleteItem the unwanted;
//	                                                   PutItem each wanted IF attribute_not_exists(PK) OR starts_at <> :start (the
//	                                                   survey: OR due_at <> :due), skipped when the read shows it as wanted
//	hand reminders over to the mailer                TransactWriteItems of up to 50 × [Update registration ADD reminders_sent :mark IF
//	  (registration, offset, start), once              status = confirmed AND NOT contains(reminders_sent, :mark),
//	                                                   ReturnValuesOnConditionCheckFailure ALL_OLD; Put OUTBOX#<rid>.reminder.<mark>]; a
//	                                                   transaction cancelled by some conditions runs again without them (the old
//	                                                   registration says: handed over already, or not confirmed). Exactly one of
//	                                                   overlapping sweeps owes each; 5,000 reminders: 100 transactions
//	surveys due now                                  Query GSI3 GSI3PK = SURVEYS AND GSI3SK < <now+1s UTC>, every page
//	hand a survey over to the mailer, once           TransactWriteItems of up to 50 × [Update registration SET survey_sent_at IF
//	                                                   status = confirmed AND attribute_not_exists(survey_sent_at),
//	                                                   ReturnValuesOnConditionCheckFailure ALL_OLD; Put OUTBOX#<rid>.survey], run again
//	                                                   without the failed conditions, as for reminders; then UpdateItem REMOVE GSI3PK,
//	                                                   GSI3SK of the schedule IF due_at = :read
//	answer a survey (replace the answers)            UpdateItem SET survey_answers, survey_answered_at IF status = confirmed AND
//	                                                   attribute_exists(survey_sent_at)
//	hand an organization survey over, once per       the survey sweep's confirmed registrations (the Query above), grouped by
//	  (event, organization)                            organization_id, then per organization TransactWriteItems: [Put ORGSURVEY#<org
//	                                                   mid> IF attribute_not_exists(PK); Put OUTBOX#<eid>.org_survey.<org mid>]
//	an organization's survey (its page)              GetItem EVENT#<eid> / ORGSURVEY#<org mid> (consistent); answer: UpdateItem SET
//	                                                   answers, answered_at IF attribute_exists(PK)
//	an event's organization surveys (results)        Query PK = EVENT#<eid> AND begins_with(SK, "ORGSURVEY#") (consistent), every page
//	erase an organization's survey answers           Query GSI2 GSI2PK = ORGSURVEY#<mid>; UpdateItem REMOVE answers each
//	stop a registration's reminders or messages      UpdateItem ADD opt_outs :list IF type = registration (the one-click link of a
//	                                                   guest's reminder or of any organizer message)
//	finish / drop a reminder                         UpdateItem REMOVE GSI3PK, GSI3SK IF starts_at = :read; DeleteItem IF starts_at = :read
//	nominate (団体推薦)                                GetItem NOMCOUNT (consistent); with a cap, GetItem each nomination it names and
//	                                                   each nominee's registration (consistent: who still holds a place); then
//	                                                   TransactWriteItems: [Put counter (ids + the new one, ver + 1) IF ver = :read (or
//	                                                   IF attribute_not_exists(PK)); Put nomination IF new; Put each nominee's token IF
//	                                                   new; Put each OUTBOX#<rid>.nomination_confirmation]. A counter that moved is
//	                                                   nomination_changed: read and count again (community.RetryOn), so two racing
//	                                                   nominations never both take the last places
//	an organization's nominations (my page)          Query GSI2 GSI2PK = ORGNOM#<org mid>, newest first, every page; GetItem each
//	                                                   nominee's registration for its state
//	idempotency records (Idempotency-Key)            PutItem IF attribute_not_exists(PK) OR expires_at <= :now; GetItem, expired ignored
//	organizer edits an event (admin.go)              UpdateItem SET the editable attributes (REMOVE the ones left empty) and the index
//	                                                   keys of its status, IF status = :read AND updated_at = :read (AND confirmed_count
//	                                                   <= :capacity); the counters are never written. An edited series occurrence gets
//	                                                   series_detached = true
//	publish / cancel an event                        UpdateItem status, updated_at and index keys IF status = draft / published AND
//	                                                   updated_at = :read. Cancelled events leave GSI1 EVENTS and GSI2 and are indexed
//	                                                   GSI1 CANCELLED <startsUTC>#<eid>, so listings can show them as 中止
//	cancelled events not yet started                 Query GSI1 GSI1PK = CANCELLED AND GSI1SK >= <nowUTC>, one Query per page
//	organizers' dashboard (web console)              Query GSI1 EVENTS, DRAFTS and CANCELLED from <nowUTC> (one page each), and
//	                                                   Query GSI1 EVENTS GSI1SK < <nowUTC> backwards, one limited page: four Queries
//	                                                   however many events there ever were. Drafts written before the DRAFTS key
//	                                                   existed are indexed by their next edit
//	promote after a capacity increase                Query GSI1 EREG#<eid>#waitlisted (head first), then per seat TransactWriteItems:
//	                                                   [head → confirmed IF status = waitlisted; event ADD waitlist_count :-1,
//	                                                   confirmed_count :1 IF status = published AND waitlist_count > 0 AND
//	                                                   (capacity = 0 OR confirmed_count < capacity)]
//	end every registration of a cancelled event      Query PK = EVENT#<eid> AND begins_with(SK, "REG#") (consistent), then the cancel
//	                                                   transaction above per live one, with Put OUTBOX#<rid>.event_cancelled in
//	                                                   place of the registrant's own cancellation mail: only the write that ended
//	                                                   it owes the notice, so repeating the cancel mails nobody twice
//	store an organizer message and its mails         PutItem MESSAGE#<msg id> IF attribute_not_exists(PK) (a repeat GetItems it),
//	                                                   then TransactWriteItems of up to 100 Put OUTBOX#<msg id>.<rid> each IF
//	                                                   attribute_not_exists(PK); a transaction cancelled by items already there is
//	                                                   run again without them (1,000 recipients: 10 transactions)
//	an organizer message's progress                  GetItem MESSAGE#<msg id>; Query GSI1 GSI1PK = MSG#<msg id> (projection: state),
//	                                                   every page, counted by state
//	every event, latest first (web console)          per status (EVENTS, DRAFTS, CANCELLED): Query GSI1 GSI1PK = <partition> AND GSI1SK <
//	                                                   "<startsUTC>#<eid>" of the page's mark, backwards, Limit page + 1; three
//	                                                   bounded Queries a page, merged by (start, id)
//	check in / undo                                  TransactWriteItems: [Update registration SET checked_in_at IF status =
//	                                                   confirmed AND attribute_not_exists(checked_in_at), Update event ADD
//	                                                   checked_in_count :1] / [Update registration REMOVE checked_in_at IF
//	                                                   attribute_exists(checked_in_at) AND status = confirmed, Update event ADD
//	                                                   checked_in_count :-1 IF
//	                                                   checked_in_count > 0]; the registration's condition lets only the write
//	                                                   that flips the flag count. An undo the event refuses (a check-in from
//	                                                   before the counter) is UpdateItem REMOVE checked_in_at alone
//	attendees' names for lists and the CSV           BatchGetItem MEMBER#<mid> / MEMBER, 100 keys a call, unprocessed keys retried
//	series (series.go)                               PK SERIES#<sid> SK SERIES {ver, template, rule_* (rule_holidays absent = keep), months, publish}; GSI1 SERIES
//	                                                   <createdUTC>#<sid>; GetItem; replace with PutItem IF ver = :read
//	every series (for the clock)                     Query GSI1 GSI1PK = SERIES, every page
//	a series' occurrences from a time                Query GSI3 GSI3PK = SERIES#<sid> AND GSI3SK >= <fromUTC> (every status)
//	create occurrences idempotently                  the occurrence id is derived from (series, Tokyo day) (community.OccurrenceID);
//	                                                   CreateEvent's attribute_not_exists(PK) lets one of two racing sweeps through
//	apply a series template edit                     Query PK = EVENT#<eid> AND begins_with(SK, "REG#") Limit 1 (consistent: anyone ever
//	                                                   registered?), then the organizer edit above AND confirmed_count = 0 AND
//	                                                   waitlist_count = 0 AND attribute_not_exists(series_detached)
//	apply (selection / lottery events)               TransactWriteItems: [Put attendee IF not exists; Put registration (applied) IF
//	                                                   not exists; Put OUTBOX#<rid>.application_received] — the event item is not
//	                                                   in it: applying is a plain write that never contends on the event
//	decide on an application                         UpdateItem SET decision IF status = applied
//	決定通知 / apply a draw, per application           GetItem registration (consistent), then TransactWriteItems: [registration →
//	                                                   confirmed / waitlisted (a fresh WAITLIST_SEQ ticket) / declined IF status =
//	                                                   applied; event ADD confirmed_count :1 IF capacity = 0 OR confirmed_count <
//	                                                   capacity, or ADD waitlist_count :1 (declined: no event item); Put
//	                                                   OUTBOX#<rid>.application_<result>] — the status flip owes the mail once
//	an event's applications                          Query PK = EVENT#<eid> AND begins_with(SK, "REG#") (consistent), filtered in Go
//	commit a lottery (publish, or mode set)          UpdateItem LOTTERY SET seed = if_not_exists(seed, :new), draw_at, GSI3 keys IF
//	                                                   attribute_not_exists(result); the commitment is SHA-256(seed)
//	lotteries due                                    Query GSI3 GSI3PK = LOTTERIES AND GSI3SK < <now+1s UTC>, every page
//	claim a draw (concurrent sweeps draw once)       UpdateItem LOTTERY SET result, drawn_at IF attribute_not_exists(result); a
//	                                                   loser reads the stored result (ALL_OLD) and applies it; a sweep that died
//	                                                   midway leaves the item indexed, and the next applies the stored result again
//	mark drawn / finish                              UpdateItem event SET lottery.drawn_at, updated_at IF attribute_not_exists(
//	                                                   lottery.drawn_at); UpdateItem LOTTERY REMOVE GSI3PK, GSI3SK
//	published result                                 GetItem LOTTERY (consistent)
//	retention: guests due                            Query GSI3 GSI3PK = ANONYMIZE AND GSI3SK < <now+1s UTC>, every page
//	anonymize an event's guests, once each           Query PK = EVENT#<eid> AND begins_with(SK, "REG#") (consistent), then per guest
//	                                                   registration TransactWriteItems: [Update registration SET guest_name,
//	                                                   anonymized_at REMOVE guest_email, answers, ... IF attribute_not_exists(
//	                                                   anonymized_at); Delete attendee IF attribute_not_exists(PK) OR reg_id = :rid];
//	                                                   Query begins_with(SK, "NOMCOUNT#"), UpdateItem each nomination SET nominees
//	                                                   IF attribute_not_exists(anonymized_at); UpdateItem PRIVACY REMOVE GSI3 keys
//	                                                   IF due_at = :read
//	retention: consent IPs due, drop one             Query GSI3 GSI3PK = CONSENT_IPS AND GSI3SK < <now+1s UTC>; UpdateItem member
//	                                                   REMOVE consent.ip, GSI3PK, GSI3SK ADD ver :1 IF GSI3SK = :read
//	backfill retention (once, infra/retention-     Query GSI1 MEMBERS#<status> (each status), EVENTS, CANCELLED, every page; UpdateItem
//	  backfill)                                        member SET expires_at / GSI3 keys IF ver = :read, claim SET expires_at IF
//	                                                   member_id = :mid; the schedule Put as an event write puts it
//	audit log (audit.go)                             PK AUDIT#<aid> SK AUDIT; GSI1 AUDIT <atUTC>#<aid> (everyone), GSI2 AUDIT#<actor mid>
//	                                                   <atUTC>#<aid> (one organizer); Query ScanIndexForward = false, one Query per page.
//	                                                   One GSI1 partition: organizers write a few entries a minute at most; split by month
//	                                                   (AUDIT#<yyyy-mm>) if that ever changes
//
// # Time to live
//
// TTL deletes expired items late (up to days in AWS, never in DynamoDB
// Local), so every read of a TTL item compares expires_at with the caller's
// now itself; expiry is to the second.
//
// # Errors
//
// An empty GetItem is NotFound, never (nil, nil). A failed condition
// (*types.ConditionalCheckFailedException) or a cancelled transaction
// (*types.TransactionCanceledException, read item by item from its
// CancellationReasons) becomes Conflict or NotFound with a reason; a
// transaction cancelled only by TransactionConflict with another in flight
// is retried a few times first. Anything else is wrapped as
// "dynamo: <operation>: %w".
package dynamo
