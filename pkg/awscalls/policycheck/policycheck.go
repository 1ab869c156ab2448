// Package policycheck holds the calls awscalls recorded against the inline
// policies of template.yaml: every call must be allowed (action, resource,
// dynamodb:LeadingKeys, ses:FromAddress), and every grant must be used by
// some call or be listed in Untested with the reason no test can make it.
// The test binaries of the handler packages run it after their tests
// (localtest.MainServing); no function links it.
//
// Index queries are granted by index ARN alone, with no LeadingKeys
// condition: the key names the table's partition key (PK), which a Query on
// a GSI does not state, and AWS documents no reading of it as the index's
// key; a condition there would deny the query outright or, as ForAllValues
// over no values, allow any. The recorder still records the index key's
// prefix, for review. Table reads (GetItem, BatchGetItem, Query) and every
// write carry the condition.
package policycheck

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/samtemplate"
)

// Statement is one Allow statement of a function's inline policy, in the
// terms awscalls records.
type Statement struct {
	Function    string
	Sid         string
	Line        int
	Actions     []string
	Resources   []string // "table", "index/GSI1", "identity", "configuration-set"
	LeadingKeys []string // ForAllValues:StringLike dynamodb:LeadingKeys; nil: no condition
	FromAddress string   // StringEquals ses:FromAddress, as the parameters' defaults make it; "": none
}

// Statements reads the statements of one function's Policies.
func Statements(tpl *samtemplate.Template, function string) ([]Statement, error) {
	r, ok := tpl.Resources[function]
	if !ok {
		return nil, fmt.Errorf("policycheck: no resource %s in template.yaml", function)
	}
	pols := samtemplate.MapGet(&r.Properties, "Policies")
	if pols == nil {
		return nil, nil
	}
	var out []Statement
	for _, p := range pols.Content {
		sts := samtemplate.MapGet(p, "Statement")
		if sts == nil {
			return nil, fmt.Errorf("policycheck: %s: policy at line %d is not an inline Statement list", function, p.Line)
		}
		for _, s := range sts.Content {
			st := Statement{Function: function, Sid: samtemplate.Scalar(samtemplate.MapGet(s, "Sid")), Line: s.Line}
			if e := samtemplate.Scalar(samtemplate.MapGet(s, "Effect")); e != "Allow" {
				return nil, fmt.Errorf("policycheck: %s line %d: Effect %q: only Allow statements are understood", function, s.Line, e)
			}
			st.Actions = list(samtemplate.MapGet(s, "Action"))
			if keyringRead(st.Actions, samtemplate.MapGet(s, "Resource")) {
				// The keyring is read once per cold start, outside any
				// handler, so no recorded call stands for it: the devserver
				// coverage test ties the permission to linking Secrets
				// Manager instead. Only the one secret, and only read.
				continue
			}
			for _, n := range nodes(samtemplate.MapGet(s, "Resource")) {
				res, err := resource(n)
				if err != nil {
					return nil, fmt.Errorf("policycheck: %s line %d: %w", function, n.Line, err)
				}
				st.Resources = append(st.Resources, res)
			}
			if err := st.conditions(tpl, samtemplate.MapGet(s, "Condition")); err != nil {
				return nil, fmt.Errorf("policycheck: %s line %d: %w", function, s.Line, err)
			}
			out = append(out, st)
		}
	}
	return out, nil
}

func (st *Statement) conditions(tpl *samtemplate.Template, cond *yaml.Node) error {
	if cond == nil {
		return nil
	}
	for i := 0; i+1 < len(cond.Content); i += 2 {
		op, keys := cond.Content[i].Value, cond.Content[i+1]
		for j := 0; j+1 < len(keys.Content); j += 2 {
			key, val := keys.Content[j].Value, keys.Content[j+1]
			switch {
			case op == "ForAllValues:StringLike" && key == "dynamodb:LeadingKeys":
				st.LeadingKeys = list(val)
				for _, p := range st.LeadingKeys {
					if !validPattern(p) {
						return fmt.Errorf("LeadingKeys pattern %q: write a key prefix ending in #*, or a whole key", p)
					}
				}
			case op == "StringEquals" && key == "ses:FromAddress":
				v, err := eval(tpl, val)
				if err != nil {
					return fmt.Errorf("ses:FromAddress: %w", err)
				}
				st.FromAddress = v
			default:
				// A condition this check does not model could deny what the
				// recorded calls show as allowed, or the reverse.
				return fmt.Errorf("condition %s %s is not understood by policycheck", op, key)
			}
		}
	}
	return nil
}

// keyringRead reports whether a statement only reads the keyring secret
// (secretsmanager:GetSecretValue on !Ref SessionSecret, docs/keys.md).
func keyringRead(actions []string, res *yaml.Node) bool {
	rs := nodes(res)
	return len(actions) == 1 && actions[0] == "secretsmanager:GetSecretValue" &&
		len(rs) == 1 && rs[0].Tag == "!Ref" && rs[0].Value == "SessionSecret"
}

// validPattern keeps patterns to what a recorded prefix can be held
// against: "EVENT#*" (every key of the kind) or a whole key without '#'.
func validPattern(p string) bool {
	if k, ok := strings.CutSuffix(p, "#*"); ok {
		return k != "" && !strings.ContainsAny(k, "*?#")
	}
	return p != "" && !strings.ContainsAny(p, "*?#")
}

func keyMatches(pattern, key string) bool {
	return pattern == key || (strings.HasSuffix(pattern, "*") && strings.TrimSuffix(pattern, "*") == key)
}

func nodes(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode && n.Tag != "!GetAtt" && n.Tag != "!Sub" {
		return n.Content
	}
	return []*yaml.Node{n}
}

func list(n *yaml.Node) []string {
	var out []string
	for _, c := range nodes(n) {
		out = append(out, c.Value)
	}
	return out
}

// resource names an ARN in the terms awscalls records.
func resource(n *yaml.Node) (string, error) {
	switch {
	case n.Tag == "!GetAtt" && n.Value == "Table.Arn":
		return "table", nil
	case n.Tag == "!Sub" && n.Kind == yaml.ScalarNode:
		if rest, ok := strings.CutPrefix(n.Value, "${Table.Arn}"); ok {
			if rest == "" {
				return "table", nil
			}
			if ix, ok := strings.CutPrefix(rest, "/index/"); ok && !strings.ContainsAny(ix, "*$/") {
				return "index/" + ix, nil
			}
		}
		if strings.Contains(n.Value, ":ses:") {
			if strings.HasSuffix(n.Value, ":identity/${SenderIdentity}") {
				return "identity", nil
			}
			if strings.HasSuffix(n.Value, ":configuration-set/${MailEvents}") {
				return "configuration-set", nil
			}
		}
	}
	return "", fmt.Errorf("resource %s %q is not understood by policycheck", n.Tag, n.Value)
}

// eval evaluates the few intrinsic functions a condition value uses, with
// every parameter at its default.
func eval(tpl *samtemplate.Template, n *yaml.Node) (string, error) {
	switch n.Tag {
	case "!Ref":
		p, ok := tpl.Parameters[n.Value]
		if !ok {
			return "", fmt.Errorf("!Ref %s: not a parameter", n.Value)
		}
		return p.Default, nil
	case "!Select":
		if len(n.Content) != 2 {
			return "", fmt.Errorf("!Select wants [index, list]")
		}
		i, err := strconv.Atoi(n.Content[0].Value)
		if err != nil {
			return "", fmt.Errorf("!Select index: %w", err)
		}
		l, err := evalList(tpl, n.Content[1])
		if err != nil {
			return "", err
		}
		if i < 0 || i >= len(l) {
			return "", fmt.Errorf("!Select %d of %d values", i, len(l))
		}
		return l[i], nil
	case "", "!!str":
		return n.Value, nil
	}
	return "", fmt.Errorf("%s is not understood by policycheck", n.Tag)
}

func evalList(tpl *samtemplate.Template, n *yaml.Node) ([]string, error) {
	if n.Tag != "!Split" || len(n.Content) != 2 {
		return nil, fmt.Errorf("a list must be !Split [delimiter, string]")
	}
	s, err := eval(tpl, n.Content[1])
	if err != nil {
		return nil, err
	}
	return strings.Split(s, n.Content[0].Value), nil
}

// allows reports whether st allows c.
func (st Statement) allows(c awscalls.Call) bool {
	if c.Function != st.Function || !contains(st.Actions, c.Action) || !contains(st.Resources, c.Resource) {
		return false
	}
	if st.LeadingKeys != nil && !anyMatch(st.LeadingKeys, c.Key) {
		return false
	}
	if st.FromAddress != "" && c.From != st.FromAddress {
		return false
	}
	return true
}

func anyMatch(patterns []string, key string) bool {
	for _, p := range patterns {
		if keyMatches(p, key) {
			return true
		}
	}
	return false
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// Denied returns, for each call that no statement of its function allows,
// a line saying so. stmts must hold the statements of every function the
// calls name.
func Denied(stmts []Statement, calls []awscalls.Call) []string {
	var out []string
	for _, c := range calls {
		ok := false
		for _, st := range stmts {
			if st.allows(c) {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, "not allowed by template.yaml: "+c.String())
		}
	}
	return out
}

// Grant is one action on one resource for one LeadingKeys pattern ("" when
// the statement has none): the unit a policy can be wider than its code by.
type Grant struct {
	Function, Action, Resource, Key string
}

func (g Grant) String() string {
	s := g.Function + " " + g.Action + " " + g.Resource
	if g.Key != "" {
		s += " " + g.Key
	}
	return s
}

// Grants lists what stmts grant.
func Grants(stmts []Statement) []Grant {
	var out []Grant
	for _, st := range stmts {
		keys := st.LeadingKeys
		if keys == nil {
			keys = []string{""}
		}
		for _, a := range st.Actions {
			for _, r := range st.Resources {
				if r == "configuration-set" {
					continue // named by each send beside the identity; not a call of its own
				}
				for _, k := range keys {
					out = append(out, Grant{Function: st.Function, Action: a, Resource: r, Key: k})
				}
			}
		}
	}
	return out
}

// Unused returns, for each grant of stmts that no call used and that
// untested does not excuse, a line saying so; and each entry of untested
// for these statements' function that names no grant or a used one, so the
// list cannot go stale.
func Unused(stmts []Statement, calls []awscalls.Call, untested map[string]string) []string {
	var out []string
	fns := map[string]bool{}
	granted := map[string]bool{}
	for _, g := range Grants(stmts) {
		fns[g.Function] = true
		granted[g.String()] = true
		used := false
		for _, c := range calls {
			if c.Function == g.Function && c.Action == g.Action && c.Resource == g.Resource && (g.Key == "" || keyMatches(g.Key, c.Key)) {
				used = true
				break
			}
		}
		_, excused := untested[g.String()]
		switch {
		case !used && !excused:
			out = append(out, "granted but no test's call used it (narrow the policy, or list it in policycheck.Untested with the reason): "+g.String())
		case used && excused:
			out = append(out, "listed in policycheck.Untested but a test's call used it (remove the entry): "+g.String())
		}
	}
	for k := range untested {
		fn, _, _ := strings.Cut(k, " ")
		if fns[fn] && !granted[k] {
			out = append(out, "listed in policycheck.Untested but template.yaml grants no such thing: "+k)
		}
	}
	sort.Strings(out)
	return out
}

// Lint returns what a policy must say whatever the tests do: every DynamoDB
// write is limited by dynamodb:LeadingKeys, every send by ses:FromAddress.
func Lint(stmts []Statement) []string {
	var out []string
	for _, st := range stmts {
		for _, a := range st.Actions {
			switch a {
			case "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:BatchWriteItem":
				if st.LeadingKeys == nil {
					out = append(out, fmt.Sprintf("%s line %d: %s without a dynamodb:LeadingKeys condition", st.Function, st.Line, a))
				}
			case "ses:SendRawEmail", "ses:SendEmail":
				if st.FromAddress == "" {
					out = append(out, fmt.Sprintf("%s line %d: %s without a ses:FromAddress condition", st.Function, st.Line, a))
				}
			}
		}
	}
	return out
}
