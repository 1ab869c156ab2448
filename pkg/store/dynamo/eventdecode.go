package dynamo

import (
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// unmarshalEventItems decodes a page of event items. It is
// attributevalue.UnmarshalListOfMaps with a fast path: the listing decodes up
// to 101 items per request, and attributevalue's reflection took more of a
// listing's own time than anything else the handler does (issue 13). An
// item of exactly the shape newEventItem writes is read by decodeEventItem;
// any other item — an attribute it does not know, a type it does not expect
// — goes to attributevalue.UnmarshalMap, so the result is always what
// attributevalue gives (eventdecode_test.go checks that they agree).
func unmarshalEventItems(raw []map[string]types.AttributeValue) ([]eventItem, error) {
	items := make([]eventItem, len(raw))
	for i, m := range raw {
		if decodeEventItem(m, &items[i]) {
			continue
		}
		items[i] = eventItem{}
		if err := attributevalue.UnmarshalMap(m, &items[i]); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// decodeEventItem fills a zero it from m as attributevalue's default decoder
// would, and reports false, with it partly filled, when m has anything the
// store does not write.
func decodeEventItem(m map[string]types.AttributeValue, it *eventItem) bool {
	for k, av := range m {
		if _, null := av.(*types.AttributeValueMemberNULL); null {
			continue // attributevalue sets the zero value, which it already holds
		}
		ok := true
		switch k {
		case "PK":
			it.PK, ok = avString(av)
		case "SK":
			it.SK, ok = avString(av)
		case "GSI1PK":
			it.GSI1PK, ok = avString(av)
		case "GSI1SK":
			it.GSI1SK, ok = avString(av)
		case "GSI2PK":
			it.GSI2PK, ok = avString(av)
		case "GSI2SK":
			it.GSI2SK, ok = avString(av)
		case "GSI3PK":
			it.GSI3PK, ok = avString(av)
		case "GSI3SK":
			it.GSI3SK, ok = avString(av)
		case "type":
			it.Type, ok = avString(av)
		case "id":
			it.ID, ok = avString(av)
		case "title":
			it.Title, ok = avString(av)
		case "kind":
			it.Kind, ok = avString(av)
		case "audience":
			it.Audience, ok = avString(av)
		case "description":
			it.Description, ok = avString(av)
		case "starts_at":
			it.StartsAt, ok = avTime(av)
		case "ends_at":
			it.EndsAt, ok = avTime(av)
		case "venue":
			it.Venue, ok = avVenue(av)
		case "online_platform":
			it.OnlinePlatform, ok = avString(av)
		case "join_url":
			it.JoinURL, ok = avString(av)
		case "capacity":
			it.Capacity, ok = avInt(av)
		case "waitlist":
			it.Waitlist, ok = avBool(av)
		case "registration_opens_at":
			it.RegistrationOpensAt, ok = avTimePtr(av)
		case "registration_closes_at":
			it.RegistrationClosesAt, ok = avTimePtr(av)
		case "eligibility":
			it.Eligibility, ok = avEligibility(av)
		case "fee_jpy":
			it.FeeJPY, ok = avInt(av)
		case "speakers":
			it.Speakers, ok = avStrings(av)
		case "notes":
			it.Notes, ok = avString(av)
		case "status":
			it.Status, ok = avString(av)
		case "series_id":
			it.SeriesID, ok = avString(av)
		case "reminder_offsets_s":
			it.ReminderOffsets, ok = avInt64s(av)
		case "cancel_reason":
			it.CancelReason, ok = avString(av)
		case "mode":
			it.Mode, ok = avString(av)
		case "nomination_cap":
			it.NominationCap, ok = avInt(av)
		case "confirmed_count":
			it.ConfirmedCount, ok = avInt(av)
		case "waitlist_count":
			it.WaitlistCount, ok = avInt(av)
		case "checked_in_count":
			it.CheckedInCount, ok = avInt(av)
		case "cancelled_count":
			it.CancelledCount, ok = avInt(av)
		case "released_count":
			it.ReleasedCount, ok = avInt(av)
		case "reconfirm_asked":
			it.ReconfirmAsked, ok = avInt(av)
		case "reconfirm_kept":
			it.ReconfirmKept, ok = avInt(av)
		case "reconfirm_cancelled":
			it.ReconfirmCancelled, ok = avInt(av)
		case "created_at":
			it.CreatedAt, ok = avTime(av)
		case "updated_at":
			it.UpdatedAt, ok = avTime(av)
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
	return true
}

func avString(av types.AttributeValue) (string, bool) {
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return "", false
	}
	return s.Value, true
}

func avBool(av types.AttributeValue) (bool, bool) {
	b, ok := av.(*types.AttributeValueMemberBOOL)
	if !ok {
		return false, false
	}
	return b.Value, true
}

func avInt64(av types.AttributeValue) (int64, bool) {
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	return i, err == nil
}

func avInt(av types.AttributeValue) (int, bool) {
	i, ok := avInt64(av)
	return int(i), ok && int64(int(i)) == i
}

// avTime reads a time written as attributevalue writes one (RFC 3339 in an
// S) and parses it as attributevalue's default decoder does.
func avTime(av types.AttributeValue) (time.Time, bool) {
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s.Value)
	return t, err == nil
}

func avTimePtr(av types.AttributeValue) (*time.Time, bool) {
	t, ok := avTime(av)
	if !ok {
		return nil, false
	}
	return &t, true
}

func avStrings(av types.AttributeValue) ([]string, bool) {
	l, ok := av.(*types.AttributeValueMemberL)
	if !ok {
		return nil, false
	}
	out := make([]string, len(l.Value))
	for i, e := range l.Value {
		if out[i], ok = avString(e); !ok {
			return nil, false
		}
	}
	return out, true
}

func avInt64s(av types.AttributeValue) ([]int64, bool) {
	l, ok := av.(*types.AttributeValueMemberL)
	if !ok {
		return nil, false
	}
	out := make([]int64, len(l.Value))
	for i, e := range l.Value {
		if out[i], ok = avInt64(e); !ok {
			return nil, false
		}
	}
	return out, true
}

func avVenue(av types.AttributeValue) (*venueItem, bool) {
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, false
	}
	v := &venueItem{}
	for k, e := range m.Value {
		if _, null := e.(*types.AttributeValueMemberNULL); null {
			continue
		}
		switch k {
		case "name":
			v.Name, ok = avString(e)
		case "address":
			v.Address, ok = avString(e)
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	return v, true
}

func avEligibility(av types.AttributeValue) (*eligibilityItem, bool) {
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, false
	}
	el := &eligibilityItem{}
	for k, e := range m.Value {
		if _, null := e.(*types.AttributeValueMemberNULL); null {
			continue
		}
		switch k {
		case "public_servant_only":
			el.PublicServantOnly, ok = avBool(e)
		case "min_age", "max_age":
			var n int
			if n, ok = avInt(e); ok {
				if k == "min_age" {
					el.MinAge = &n
				} else {
					el.MaxAge = &n
				}
			}
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	return el, true
}
