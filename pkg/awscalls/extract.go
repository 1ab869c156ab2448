package awscalls

import (
	"net/mail"
	"reflect"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The table's partition key; an index's is its name + "PK" (doc.go).
const tablePK = "PK"

// callsOf turns one operation's input into the calls IAM authorizes.
func callsOf(service, op string, params any) []Call {
	switch service {
	case "DynamoDB":
		return dynamoCalls(op, params)
	case "SES":
		c := Call{Action: "ses:" + op, Resource: "identity"}
		if op == "SendRawEmail" || op == "SendEmail" {
			c.From = fromAddress(params)
		}
		return []Call{c}
	}
	return []Call{{Action: strings.ToLower(service) + ":" + op, Resource: "?"}}
}

func dynamoCalls(op string, params any) []Call {
	one := func(action string, key map[string]types.AttributeValue) []Call {
		return []Call{{Action: "dynamodb:" + action, Resource: "table", Key: prefix(key[tablePK])}}
	}
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		return one("GetItem", in.Key)
	case *dynamodb.PutItemInput:
		return one("PutItem", in.Item)
	case *dynamodb.UpdateItemInput:
		return one("UpdateItem", in.Key)
	case *dynamodb.DeleteItemInput:
		return one("DeleteItem", in.Key)
	case *dynamodb.QueryInput:
		res, pk := "table", tablePK
		if in.IndexName != nil {
			res, pk = "index/"+*in.IndexName, *in.IndexName+"PK"
		}
		return []Call{{Action: "dynamodb:Query", Resource: res, Key: queryKey(in, pk)}}
	case *dynamodb.BatchGetItemInput:
		var out []Call
		for _, ka := range in.RequestItems {
			for _, k := range ka.Keys {
				out = append(out, Call{Action: "dynamodb:BatchGetItem", Resource: "table", Key: prefix(k[tablePK])})
			}
		}
		return out
	case *dynamodb.BatchWriteItemInput:
		var out []Call
		for _, reqs := range in.RequestItems {
			for _, w := range reqs {
				var k map[string]types.AttributeValue
				if w.PutRequest != nil {
					k = w.PutRequest.Item
				} else if w.DeleteRequest != nil {
					k = w.DeleteRequest.Key
				}
				out = append(out, Call{Action: "dynamodb:BatchWriteItem", Resource: "table", Key: prefix(k[tablePK])})
			}
		}
		return out
	case *dynamodb.TransactWriteItemsInput:
		// IAM authorizes each item of a transaction as its own action.
		var out []Call
		for _, it := range in.TransactItems {
			c := Call{Resource: "table", Operation: op}
			switch {
			case it.Put != nil:
				c.Action, c.Key = "dynamodb:PutItem", prefix(it.Put.Item[tablePK])
			case it.Update != nil:
				c.Action, c.Key = "dynamodb:UpdateItem", prefix(it.Update.Key[tablePK])
			case it.Delete != nil:
				c.Action, c.Key = "dynamodb:DeleteItem", prefix(it.Delete.Key[tablePK])
			case it.ConditionCheck != nil:
				c.Action, c.Key = "dynamodb:ConditionCheckItem", prefix(it.ConditionCheck.Key[tablePK])
			}
			out = append(out, c)
		}
		return out
	case *dynamodb.TransactGetItemsInput:
		var out []Call
		for _, it := range in.TransactItems {
			if it.Get != nil {
				out = append(out, Call{Action: "dynamodb:GetItem", Resource: "table", Key: prefix(it.Get.Key[tablePK]), Operation: op})
			}
		}
		return out
	}
	// Scan, DescribeTable, …: no policy here allows them, so the record
	// shows whoever calls one.
	return []Call{{Action: "dynamodb:" + op, Resource: "table"}}
}

// prefix keeps a key up to its first '#': the kind of item, never whose.
// A key that is not a string is recorded as "?", which no policy allows.
func prefix(v types.AttributeValue) string {
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		return "?"
	}
	if i := strings.IndexByte(s.Value, '#'); i >= 0 {
		return s.Value[:i+1]
	}
	return s.Value
}

var keyEquals = regexp.MustCompile(`([#\w]+)\s*=\s*(:\w+)`)

// queryKey finds the partition key's value in a key condition written by
// the expression builder ("#0 = :0 AND begins_with(#1, :1)") or by hand.
func queryKey(in *dynamodb.QueryInput, attr string) string {
	if in.KeyConditionExpression == nil {
		return "?"
	}
	for _, m := range keyEquals.FindAllStringSubmatch(*in.KeyConditionExpression, -1) {
		name := m[1]
		if strings.HasPrefix(name, "#") {
			name = in.ExpressionAttributeNames[name]
		}
		if name == attr {
			return prefix(in.ExpressionAttributeValues[m[2]])
		}
	}
	return "?"
}

// fromAddress reads the address SES authorizes as ses:FromAddress: Source
// if set, else the raw message's From header. It reads the input by
// reflection so that this package, which every function links, does not
// link service/ses into the functions that send no mail.
func fromAddress(params any) string {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return "?"
	}
	v = v.Elem()
	if src := v.FieldByName("Source"); src.IsValid() && src.Kind() == reflect.Pointer && !src.IsNil() {
		return address(src.Elem().String())
	}
	raw := v.FieldByName("RawMessage")
	if !raw.IsValid() || raw.Kind() != reflect.Pointer || raw.IsNil() {
		return "?"
	}
	data := raw.Elem().FieldByName("Data")
	if !data.IsValid() || data.Kind() != reflect.Slice {
		return "?"
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(data.Bytes())))
	if err != nil {
		return "?"
	}
	return address(msg.Header.Get("From"))
}

func address(s string) string {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "?"
	}
	return a.Address
}
