package community

// Every reason an operation can fail with, declared once: its class, its
// name (the API's error.code, listed in docs/openapi.yaml) and its message.
// Callers branch with errors.Is(err, ErrX); pkg/httpapi turns the class
// into the HTTP status. A call site may say more than the message here
// with Messagef, never something else.

// Requests the API could not read (400, or the statuses pkg/httpapi gives
// the body problems HTTP has its own codes for).
var (
	ErrValidation       = declare(Invalid, "validation_failed", "入力内容に誤りがあります。")
	ErrInvalidJSON      = declare(Invalid, "invalid_json", "JSONの形式が正しくありません。")
	ErrInvalidField     = declare(Invalid, "invalid_field", "入力内容に誤りがあります。")
	ErrUnknownField     = declare(Invalid, "unknown_field", "受け付けていない項目が含まれています。")
	ErrInvalidBody      = declare(Invalid, "invalid_body", "リクエストの本文を読み取れません。")
	ErrTooLarge         = declare(Invalid, "too_large", "リクエストの本文が大きすぎます（上限64KiB）。")
	ErrUnsupportedMedia = declare(Invalid, "unsupported_media_type", "Content-Type は application/json（UTF-8）にしてください。")
	ErrInvalidForm      = declare(Invalid, "invalid_form", "送信された内容を読み取れませんでした。もう一度お試しください。")
	ErrInvalidParameter = declare(Invalid, "invalid_parameter", "クエリパラメータが正しくありません。")
	ErrInvalidLimit     = declare(Invalid, "invalid_limit", "limit は1から100の間で指定してください。")
	ErrInvalidCursor    = declare(Invalid, "invalid_cursor", "ページの指定（cursor）が正しくありません。最初のページから読み直してください。")
	ErrInvalidFrom      = declare(Invalid, "invalid_from", "from はRFC 3339形式（例: 2025-05-14T19:00:00+09:00）か日付（例: 2025-05-14）で指定してください。")
	ErrInvalidTo        = declare(Invalid, "invalid_to", "to はRFC 3339形式（例: 2025-05-14T19:00:00+09:00）か日付（例: 2025-05-14）で指定してください。")
	ErrInvalidKind      = declare(Invalid, "invalid_kind", "kind は meeting, lecture, field_trip, workshop のいずれかです。")
	ErrInvalidStatus    = declare(Invalid, "invalid_status", "status の値が正しくありません。")
	ErrInvalidFormat    = declare(Invalid, "invalid_format", "format は json か csv で指定してください。")
	ErrInvalidActor     = declare(Invalid, "invalid_actor", "actor は会員IDか system で指定してください。")
	ErrInvalidToken     = declare(Invalid, "invalid_token", "リンクが無効か、有効期限が切れています。もう一度お手続きください。")
	ErrInvalidIdemKey   = declare(Invalid, "invalid_idempotency_key", "Idempotency-Key は255文字以内の英数字記号で指定してください。")
	ErrGuestWithSession = declare(Invalid, "guest_with_session", "ログイン中はゲストとして申し込めません。")
)

// Mail that could not be built: a bad address, link or message.
var (
	ErrInvalidEmail   = declare(Invalid, "invalid_email", "メールアドレスが正しくありません。")
	ErrInvalidLink    = declare(Invalid, "invalid_link", "リンクのURLが正しくありません。")
	ErrInvalidMessage = declare(Invalid, "invalid_message", "メールの内容が正しくありません。")
)

// Who the caller is.
var (
	ErrUnauthorized         = declare(Unauthorized, "unauthorized", "ログインしてください。")
	ErrInvalidSession       = declare(Unauthorized, "invalid_session", "ログインの有効期限が切れています。もう一度ログインしてください。")
	ErrSessionExpired       = declare(Unauthorized, "session_expired", "ログインの有効期限が切れました。もう一度ログインしてください。")
	ErrInvalidAuthorization = declare(Unauthorized, "invalid_authorization", "Authorization ヘッダーは「Bearer <トークン>」の形式で指定してください。")
	ErrForbidden            = declare(Forbidden, "forbidden", "この操作は運営者だけが行えます。")
	ErrInvalidCSRF          = declare(Forbidden, "invalid_csrf_token", "フォームの有効期限が切れました。ページを開き直してからもう一度お試しください。")
	ErrCrossSite            = declare(Forbidden, "cross_site_request", "このフォームは別のサイトから送信できません。ページを開き直してからお試しください。")
)

// Whether someone may register: audience, membership, eligibility.
var (
	ErrMembersOnly          = declare(Forbidden, "members_only", "このイベントは会員限定です。ログインしてお申し込みください。")
	ErrMemberSuspended      = declare(Forbidden, "member_suspended", "会員資格が停止されているため、申し込めません。")
	ErrEligibilityLocked    = declare(Conflict, "eligibility_locked", "公務員かどうかと生年月日は、会員資格の承認後はご自身では変更できません。変更が必要な場合は、変更を申請してください（運営者が確認します）。")
	ErrEligibilityNotLocked = declare(Conflict, "eligibility_not_locked", "会員資格の承認前のため、公務員かどうかと生年月日はプロフィールの変更で直せます。")
	ErrMemberNotActive      = declare(Forbidden, "member_not_active", "会員登録が完了していないため、申し込めません。")
	ErrRegularMembersOnly   = declare(Forbidden, "regular_members_only", "このイベントは正会員限定です。")
	ErrPublicServantsOnly   = declare(Forbidden, "public_servants_only", "このイベントは公務員の方が対象です。")
	ErrBirthDateRequired    = declare(Forbidden, "birth_date_required", "年齢条件があるため、マイページで生年月日を登録してからお申し込みください。")
	ErrAgeNotEligible       = declare(Forbidden, "age_not_eligible", "開催初日時点の年齢が参加条件に合わないため、申し込めません。")
)

// Things that are not there, or not for the caller to see.
var (
	ErrEventNotFound        = declare(NotFound, "event_not_found", "イベントが見つかりません。")
	ErrMemberNotFound       = declare(NotFound, "member_not_found", "会員が見つかりません。")
	ErrRegistrationNotFound = declare(NotFound, "registration_not_found", "申込が見つかりません。")
	ErrSeriesNotFound       = declare(NotFound, "series_not_found", "シリーズが見つかりません。")
	ErrMessageNotFound      = declare(NotFound, "message_not_found", "メッセージが見つかりません。")
	ErrTokenNotFound        = declare(NotFound, "token_not_found", "リンクが無効か、有効期限が切れています。")
	ErrSessionNotFound      = declare(NotFound, "session_not_found", "ログインの有効期限が切れました。もう一度ログインしてください。")
	ErrIdempotencyNotFound  = declare(NotFound, "idempotency_not_found", "記録がありません。")
	ErrPageNotFound         = declare(NotFound, "page_not_found", "お探しのページは見つかりませんでした。URLをお確かめください。")
	ErrRouteNotFound        = declare(NotFound, "route_not_found", "指定されたURLは存在しません。")
	// ErrCalendarNotFound answers a calendar feed URL that is unknown,
	// stopped, renewed away or its member's no longer: all alike.
	ErrCalendarNotFound = declare(NotFound, "calendar_not_found", "このカレンダーのURLは無効です。マイページで発行し直してください。")
)

// Writes that met another write, or a state that refuses them (409).
var (
	ErrAlreadyRegistered        = declare(Conflict, "already_registered", "すでにこのイベントに申し込んでいます。")
	ErrEventFull                = declare(Conflict, "event_full", "定員に達したため、申し込めません。")
	ErrAlreadyCancelled         = declare(Conflict, "already_cancelled", "この申込はすでにキャンセルされています。")
	ErrEventChanged             = declare(Conflict, "event_changed", "イベントが同時に更新されました。もう一度お試しください。")
	ErrEventNotPublished        = declare(Conflict, "event_not_published", "下書きのイベントは中止できません（公開されていません）。")
	ErrCapacityBelowConfirmed   = declare(Conflict, "capacity_below_confirmed", "定員を参加確定者数より少なくはできません。")
	ErrOccurrenceTaken          = declare(Conflict, "occurrence_taken", "申込があるか個別に編集された開催回のため、変更しませんでした。")
	ErrAudienceHasRegistrations = declare(Conflict, "audience_has_registrations", "変更後の対象・参加条件に当てはまらない方の申込があります。先にそれらの申込を取り消してから、もう一度変更してください。")
	ErrSeriesChanged            = declare(Conflict, "series_changed", "シリーズが同時に更新されました。もう一度お試しください。")
	ErrMemberChanged            = declare(Conflict, "member_changed", "会員情報が同時に更新されました。もう一度お試しください。")
	ErrEmailTaken               = declare(Conflict, "email_taken", "このメールアドレスはすでに登録されています。")
	ErrMemberNotPending         = declare(Conflict, "member_not_pending", "この会員は承認待ちではないため、この操作はできません。")
	ErrMemberNotSuspended       = declare(Conflict, "member_not_suspended", "この会員は停止中ではないため、この操作はできません。")
	ErrMemberNotSuspendable     = declare(Conflict, "member_not_suspendable", "この会員は有効な状態ではないため、停止できません。")
	ErrCannotSuspendSelf        = declare(Conflict, "cannot_suspend_self", "自分自身を停止することはできません。")
	ErrClaimLost                = declare(Conflict, "claim_lost", "送信権が別の処理に移りました。")
	ErrRequestInProgress        = declare(Conflict, "request_in_progress", "同じ Idempotency-Key のリクエストを処理中です。しばらくしてから結果を確かめてください。")
	ErrEventExists              = declare(Conflict, "event_exists", "同じIDのイベントがすでにあります。")
	ErrSeriesExists             = declare(Conflict, "series_exists", "同じIDのシリーズがすでにあります。")
	ErrMemberExists             = declare(Conflict, "member_exists", "同じIDの会員がすでにいます。")
	ErrRegistrationExists       = declare(Conflict, "registration_exists", "同じIDの申込がすでにあります。")
	ErrSessionExists            = declare(Conflict, "session_exists", "同じIDのセッションがすでにあります。")
	ErrTokenExists              = declare(Conflict, "token_exists", "同じトークンがすでにあります。")
	ErrAuditExists              = declare(Conflict, "audit_exists", "同じIDの記録がすでにあります。")
)

// Rules of time and state (422).
var (
	ErrEventCancelled       = declare(Closed, "event_cancelled", "このイベントは中止になりました。")
	ErrEventStarted         = declare(Closed, "event_started", "このイベントはすでに開始しているため、申し込めません。")
	ErrRegistrationNotOpen  = declare(Closed, "registration_not_open", "申込受付はまだ始まっていません。")
	ErrRegistrationClosed   = declare(Closed, "registration_closed", "申込受付は締め切りました。")
	ErrNotConfirmed         = declare(Closed, "not_confirmed", "参加が確定している申込だけ受付できます。")
	ErrIdempotencyKeyReused = declare(Closed, "idempotency_key_reused", "この Idempotency-Key は別の内容のリクエストに使われています。")
)

// Callers that asked too often (429).
var (
	ErrTooManyRequests = declare(Throttled, "too_many_requests", "短時間に多くのお申し込みがありました。しばらく時間をおいてから、もう一度お試しください。")
)

// Dependencies that did not answer, or answered "later" (503).
var (
	ErrBusy               = declare(Unavailable, "busy", "申込が混み合っています。しばらくしてからもう一度お試しください。")
	ErrMailUnavailable    = declare(Unavailable, "mail_unavailable", "メールを送信できませんでした。時間をおいて再度お試しください。")
	ErrMailThrottled      = declare(Unavailable, "mail_throttled", "メールの送信が混み合っています。時間をおいて再度お試しください。")
	ErrMailTimeout        = declare(Unavailable, "mail_timeout", "メール送信サービスが応答しません。時間をおいて再度お試しください。")
	ErrMailQuotaExceeded  = declare(Unavailable, "mail_quota_exceeded", "本日のメール送信上限に達しました。時間をおいて再度お試しください。")
	ErrServiceUnavailable = declare(Unavailable, "service_unavailable", "ただいま混み合っているため処理できませんでした。少し時間をおいて再度お試しください。")
)

// issue 10 — apply: registration modes, applications, selection and the lottery.
var (
	ErrModeHasRegistrations  = declare(Conflict, "mode_has_registrations", "申込がすでにあるため、申込方法や抽選の設定は変更できません。")
	ErrLotteryDrawn          = declare(Closed, "lottery_drawn", "抽選はすでに行われたため、申し込めません。")
	ErrNotApplication        = declare(Conflict, "not_application", "この申込は選考待ちではないため、この操作はできません。")
	ErrNotSelectionEvent     = declare(Conflict, "not_selection_event", "このイベントは選考で参加者を決めるイベントではありません。")
	ErrApplicantNotEligible  = declare(Conflict, "applicant_not_eligible", "参加条件に当てはまらない申込者は採用できません。")
	ErrSelectionOverCapacity = declare(Conflict, "selection_over_capacity", "採用が定員を超えています。採用の数を減らしてから決定通知を行ってください。")
	ErrInvalidDecision       = declare(Invalid, "invalid_decision", "decision は selected, waitlisted, declined のいずれかで指定してください。")
	ErrLotteryNotDrawn       = declare(NotFound, "lottery_not_drawn", "抽選はまだ行われていません。")
)

// issue 10 — nominate: organizations nominate their staff (団体推薦).
var (
	ErrOrganizationMembersOnly = declare(Forbidden, "organization_members_only", "推薦は、有効な団体正会員のご担当者だけが行えます。")
	ErrNominationsNotAccepted  = declare(Closed, "nominations_not_accepted", "このイベントは団体推薦を受け付けていません（選考・抽選のイベントで、申込締切まで受け付けます）。")
	ErrNominationCapExceeded   = declare(Conflict, "nomination_cap_exceeded", "この団体からの推薦の上限を超えるため、推薦できません。")
	ErrNominationChanged       = declare(Conflict, "nomination_changed", "同じ団体の推薦が同時に行われました。もう一度お試しください。")
	ErrNominationNotFound      = declare(NotFound, "nomination_not_found", "推薦が見つかりません。")
)

// ErrInternal is what every error without a declared reason is to clients:
// whatever it carries was not written for people.
var ErrInternal = declare(Internal, "internal_error", "サーバー内部でエラーが発生しました。時間をおいて再度お試しください。")

// issue 10 — forms
var (
	ErrInvalidAnswers       = declare(Invalid, "invalid_answers", "申込フォームの回答に誤りがあります。")
	ErrQuestionsHaveAnswers = declare(Conflict, "questions_have_answers", "申込がすでにあるため、回答済みの設問を削除したり、種類・選択肢・文字数・必須を回答と合わなくなるように変えたりはできません。設問の追加（任意回答）と文言の修正はできます。")
)

// issue 10 — survey
var (
	ErrSurveyLinkInvalid = declare(NotFound, "survey_link_invalid", "アンケートのリンクが正しくありません。メールに記載されたリンクをそのまま開いてください。")
	ErrSurveyNotFound    = declare(NotFound, "survey_not_found", "このイベントには事後アンケートがありません。")
	ErrSurveyNotOpen     = declare(Closed, "survey_not_open", "このアンケートはまだ回答を受け付けていません。")
	ErrOrgSurveyNotSent  = declare(NotFound, "org_survey_not_sent", "この団体にはアンケートを送っていません。")
	ErrSurveyClosed      = declare(Closed, "survey_closed", "このアンケートの回答受付は終了しました。ご協力ありがとうございました。")
)

// issue 12 — reconfirmation
var (
	ErrReconfirmAnswered = declare(Conflict, "reconfirm_answered", "この申込はすでに回答済みです。")
	ErrReconfirmClosed   = declare(Closed, "reconfirm_closed", "参加予定の確認の回答期限を過ぎたため、「参加します」のご回答は受け付けられませんでした。")
)

// issue 10 — frames
var (
	ErrFrameRequired         = declare(Invalid, "frame_required", "参加枠を選んでください。")
	ErrUnknownFrame          = declare(Invalid, "unknown_frame", "このイベントにその参加枠はありません。")
	ErrFrameHasRegistrations = declare(Conflict, "frame_has_registrations", "申込のある参加枠は削除できません。")
)

// issue 12 — attendance certificates (参加証明書).
var (
	// ErrCertificateNotVerified is the one answer to a certificate id that
	// is not genuine: forged, altered, signed by an unknown or retired key,
	// or naming an attendance that no longer stands. The cases are not told
	// apart, so a forger learns nothing from trying.
	ErrCertificateNotVerified = declare(NotFound, "certificate_not_verified", "この参加証明書は確認できませんでした。URLが正しくないか、証明書が改変されたか、参加の記録が取り消されています。")
	ErrNotCheckedIn           = declare(Conflict, "not_checked_in", "当日の受付の記録がないため、参加証明書は発行できません。")
)
