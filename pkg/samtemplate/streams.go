package samtemplate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"gopkg.in/yaml.v3"
)

// StreamMapping is one DynamoDB event of a function: an event source mapping
// through which Lambda polls a table's stream and invokes the function with
// batches of its records. Fields the template leaves out hold Lambda's
// defaults.
type StreamMapping struct {
	Function         string
	Event            string
	Table            string // LogicalId of the table: Stream is !GetAtt <Table>.StreamArn
	StartingPosition string // TRIM_HORIZON or LATEST
	BatchSize        int    // 1–10000; Lambda's default 100
	// MaximumBatchingWindowInSeconds is how long Lambda gathers records
	// before it invokes with fewer than BatchSize (0–300; default 0).
	MaximumBatchingWindowInSeconds int
	// Filters are the FilterCriteria patterns (JSON, EventBridge syntax); a
	// record matching none is skipped. None means every record.
	Filters []string
	// ReportBatchItemFailures: FunctionResponseTypes lists it, so a response
	// {"batchItemFailures":[{"itemIdentifier":<sequence number>}]} retries
	// from the lowest sequence number named.
	ReportBatchItemFailures    bool
	BisectBatchOnFunctionError bool
	// MaximumRetryAttempts is -1 by default: retry until the record
	// expires from the stream (24 hours).
	MaximumRetryAttempts int
	// MaximumRecordAgeInSeconds is -1 by default (no limit), else 60–604800.
	MaximumRecordAgeInSeconds int
	// OnFailure is the LogicalId of DestinationConfig.OnFailure.Destination
	// (!GetAtt Queue.Arn or !Ref Topic), "" when there is none: where Lambda
	// sends what it gives up on.
	OnFailure string
	Enabled   bool
}

// Name identifies the mapping in logs and messages.
func (m StreamMapping) Name() string { return m.Function + "." + m.Event }

// StreamMappings returns every DynamoDB event of every function.
func (t *Template) StreamMappings() ([]StreamMapping, error) {
	fs, err := t.Functions()
	if err != nil {
		return nil, err
	}
	var out []StreamMapping
	for _, f := range fs {
		out = append(out, f.StreamMappings...)
	}
	return out, nil
}

// streamMapping reads the properties of a DynamoDB event, refusing what
// CloudFormation or Lambda would refuse, so a template error shows up in
// `make test` and `make run` rather than at deploy time.
func (t *Template) streamMapping(fn, event string, props *yaml.Node) (StreamMapping, error) {
	m := StreamMapping{Function: fn, Event: event, BatchSize: 100, MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1, Enabled: true}
	where := fmt.Sprintf("samtemplate: %s.Events.%s (Type: DynamoDB)", fn, event)

	ref, ok := getAttOf(mapGet(props, "Stream"))
	if !ok || ref.Attr != "StreamArn" {
		return m, fmt.Errorf("%s: Stream must be !GetAtt <Table>.StreamArn of a table in this template", where)
	}
	tbl, ok := t.Resources[ref.Target]
	if !ok || tbl.Type != "AWS::DynamoDB::Table" {
		return m, fmt.Errorf("%s: Stream names %s, which is not an AWS::DynamoDB::Table in this template", where, ref.Target)
	}
	if scalar(MapGet(&tbl.Properties, "StreamSpecification", "StreamViewType")) == "" {
		return m, fmt.Errorf("%s: table %s has no stream: give it StreamSpecification: {StreamViewType: NEW_IMAGE} (or another view type)", where, ref.Target)
	}
	m.Table = ref.Target

	var err error
	if m.StartingPosition, err = literal(props, "StartingPosition"); err != nil {
		return m, fmt.Errorf("%s: %w", where, err)
	}
	if m.StartingPosition != "TRIM_HORIZON" && m.StartingPosition != "LATEST" {
		return m, fmt.Errorf("%s: StartingPosition %q: a DynamoDB stream starts at TRIM_HORIZON or LATEST (it is required)", where, m.StartingPosition)
	}
	ints := []struct {
		key    string
		dst    *int
		lo, hi int
		also   int // one more allowed value outside lo–hi; 0 when none
	}{
		{"BatchSize", &m.BatchSize, 1, 10000, 0},
		{"MaximumBatchingWindowInSeconds", &m.MaximumBatchingWindowInSeconds, 0, 300, 0},
		{"MaximumRetryAttempts", &m.MaximumRetryAttempts, -1, 10000, 0},
		{"MaximumRecordAgeInSeconds", &m.MaximumRecordAgeInSeconds, 60, 604800, -1},
	}
	for _, p := range ints {
		s, err := literal(props, p.key)
		if err != nil {
			return m, fmt.Errorf("%s: %w", where, err)
		}
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || (n < p.lo || n > p.hi) && (p.also == 0 || n != p.also) {
			allowed := fmt.Sprintf("%d–%d", p.lo, p.hi)
			if p.also != 0 {
				allowed = fmt.Sprintf("%d or %s", p.also, allowed)
			}
			return m, fmt.Errorf("%s: %s %q: want an integer, %s", where, p.key, s, allowed)
		}
		*p.dst = n
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"BisectBatchOnFunctionError", &m.BisectBatchOnFunctionError}, {"Enabled", &m.Enabled}} {
		s, err := literal(props, b.key)
		if err != nil {
			return m, fmt.Errorf("%s: %w", where, err)
		}
		if s == "" {
			continue
		}
		v, err := strconv.ParseBool(s)
		if err != nil {
			return m, fmt.Errorf("%s: %s %q: want true or false", where, b.key, s)
		}
		*b.dst = v
	}

	if n := mapGet(props, "FunctionResponseTypes"); n != nil {
		if n.Kind != yaml.SequenceNode {
			return m, fmt.Errorf("%s: FunctionResponseTypes must be a list, e.g. [ReportBatchItemFailures]", where)
		}
		for _, v := range scalars(n) {
			if v != "ReportBatchItemFailures" {
				return m, fmt.Errorf("%s: FunctionResponseTypes %q: the only response type is ReportBatchItemFailures", where, v)
			}
			m.ReportBatchItemFailures = true
		}
	}

	if fc := mapGet(props, "FilterCriteria"); fc != nil {
		filters := mapGet(fc, "Filters")
		if filters == nil || filters.Kind != yaml.SequenceNode {
			return m, fmt.Errorf("%s: FilterCriteria must hold Filters: a list of {Pattern: '<JSON>'}", where)
		}
		for i, f := range filters.Content {
			p := scalar(mapGet(f, "Pattern"))
			var obj map[string]any
			if p == "" || json.Unmarshal([]byte(p), &obj) != nil || obj == nil {
				return m, fmt.Errorf("%s: FilterCriteria.Filters[%d].Pattern must be a JSON object in a string, e.g. '{\"eventName\":[\"INSERT\"]}'", where, i)
			}
			m.Filters = append(m.Filters, p)
		}
	}

	if dc := mapGet(props, "DestinationConfig"); dc != nil {
		of := mapGet(dc, "OnFailure")
		d := mapGet(of, "Destination")
		switch ref, isGetAtt := getAttOf(d); {
		case isGetAtt && ref.Attr == "Arn":
			m.OnFailure = ref.Target
		case d != nil && d.Tag == "!Ref":
			m.OnFailure = d.Value
		default:
			return m, fmt.Errorf("%s: DestinationConfig.OnFailure.Destination must be !GetAtt <Queue>.Arn or !Ref <Topic> of a resource in this template", where)
		}
		if typ := scalar(mapGet(of, "Type")); typ != "" && typ != "SQS" && typ != "SNS" {
			return m, fmt.Errorf("%s: DestinationConfig.OnFailure.Type %q: want SQS or SNS", where, typ)
		}
	}
	return m, nil
}

// getAttOf reads !GetAtt X.Attr, !GetAtt [X, Attr] or {Fn::GetAtt: [X, Attr]}.
func getAttOf(n *yaml.Node) (Reference, bool) {
	if n == nil {
		return Reference{}, false
	}
	if n.Tag == "!GetAtt" {
		r := getAtt(n)
		return r, r.Target != ""
	}
	if v := mapGet(n, "Fn::GetAtt"); v != nil && len(n.Content) == 2 {
		r := getAtt(v)
		return r, r.Target != ""
	}
	return Reference{}, false
}

// literal returns a property that must be a plain scalar; "" when absent.
// An intrinsic (!Ref Param) is refused rather than read as absent, since
// the dev server could not know its value.
func literal(props *yaml.Node, key string) (string, error) {
	n := mapGet(props, key)
	if n == nil {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode || strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return "", fmt.Errorf("%s must be a literal value (line %d), so that the dev server runs what is deployed", key, n.Line)
	}
	return n.Value, nil
}

// StreamViewType is the table's StreamSpecification.StreamViewType, "" when
// the table has no stream.
func (t Table) StreamViewType() string { return t.props.StreamSpecification.StreamViewType }

var streamViewTypes = []string{"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"}

func (t Table) checkStream() error {
	if v := t.StreamViewType(); v != "" && !slices.Contains(streamViewTypes, v) {
		return fmt.Errorf("samtemplate: %s StreamSpecification.StreamViewType %q: want one of %s", t.LogicalID, v, strings.Join(streamViewTypes, ", "))
	}
	return nil
}

// EnableStreamInput returns the request that turns the template's stream on
// for an existing table called name (one kept from before the template had
// it), or nil when the template has no stream.
func (t Table) EnableStreamInput(name string) *dynamodb.UpdateTableInput {
	spec := t.CreateTableInput(name).StreamSpecification
	if spec == nil {
		return nil
	}
	return &dynamodb.UpdateTableInput{TableName: aws.String(name), StreamSpecification: spec}
}
