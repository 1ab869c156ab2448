package samtemplate

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Reference is one use of a name in an intrinsic function: !Ref X,
// !GetAtt X.Attr, ${X} or ${X.Attr} inside !Sub, or a condition name
// (!If, !Condition, a resource's Condition).
type Reference struct {
	Kind   string // "Ref", "GetAtt", "Sub", "Condition"
	Target string // the logical name referred to
	Attr   string // for GetAtt and ${X.Attr}
	Line   int    // line in template.yaml
}

func (r Reference) String() string {
	s := r.Target
	if r.Attr != "" {
		s += "." + r.Attr
	}
	return fmt.Sprintf("line %d: %s %s", r.Line, r.Kind, s)
}

// PseudoParameters are the names CloudFormation defines itself.
var PseudoParameters = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true, "AWS::Partition": true,
	"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// References returns every reference in the template, in document order.
func (t *Template) References() []Reference {
	var out []Reference
	var walk func(n *yaml.Node, subLocals map[string]bool)
	walk = func(n *yaml.Node, subLocals map[string]bool) {
		if n == nil {
			return
		}
		switch n.Tag {
		case "!Ref":
			out = append(out, Reference{Kind: "Ref", Target: n.Value, Line: n.Line})
			return
		case "!GetAtt":
			out = append(out, getAtt(n))
			return
		case "!Condition":
			out = append(out, Reference{Kind: "Condition", Target: n.Value, Line: n.Line})
			return
		case "!If":
			if n.Kind == yaml.SequenceNode && len(n.Content) > 0 {
				out = append(out, Reference{Kind: "Condition", Target: n.Content[0].Value, Line: n.Content[0].Line})
				for _, c := range n.Content[1:] {
					walk(c, nil)
				}
			}
			return
		case "!Sub":
			out = append(out, subRefs(n)...)
			if n.Kind == yaml.SequenceNode && len(n.Content) == 2 {
				walk(n.Content[1], nil)
			}
			return
		}
		if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
			switch v := n.Content[1]; n.Content[0].Value {
			case "Ref":
				out = append(out, Reference{Kind: "Ref", Target: v.Value, Line: v.Line})
				return
			case "Fn::GetAtt":
				out = append(out, getAtt(v))
				return
			case "Fn::Sub":
				out = append(out, subRefs(v)...)
				return
			}
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "Condition" && n.Content[i+1].Kind == yaml.ScalarNode && n.Content[i+1].Tag == "!!str" {
					out = append(out, Reference{Kind: "Condition", Target: n.Content[i+1].Value, Line: n.Content[i+1].Line})
					continue
				}
				walk(n.Content[i+1], subLocals)
			}
			return
		}
		for _, c := range n.Content {
			walk(c, subLocals)
		}
	}
	walk(&t.root, nil)
	return out
}

func getAtt(n *yaml.Node) Reference {
	r := Reference{Kind: "GetAtt", Line: n.Line}
	switch n.Kind {
	case yaml.ScalarNode:
		r.Target, r.Attr, _ = strings.Cut(n.Value, ".")
	case yaml.SequenceNode:
		if len(n.Content) > 0 {
			r.Target = n.Content[0].Value
		}
		if len(n.Content) > 1 {
			r.Attr = n.Content[1].Value
		}
	}
	return r
}

// subRefs returns the ${...} names of a Sub, skipping its own variables.
func subRefs(n *yaml.Node) []Reference {
	str := n
	locals := map[string]bool{}
	if n.Kind == yaml.SequenceNode && len(n.Content) > 0 {
		str = n.Content[0]
		if len(n.Content) > 1 {
			for _, k := range mapKeys(n.Content[1]) {
				locals[k] = true
			}
		}
	}
	var out []Reference
	for _, m := range subVar.FindAllStringSubmatch(str.Value, -1) {
		name, attr, _ := strings.Cut(m[1], ".")
		if locals[m[1]] {
			continue
		}
		out = append(out, Reference{Kind: "Sub", Target: name, Attr: attr, Line: str.Line})
	}
	return out
}

// UndefinedReferences returns the references whose target the template does
// not define: Ref, GetAtt and ${} must name a resource, a parameter or a
// pseudo parameter (GetAtt a resource only); conditions must be declared.
// SAM's generated <Function>Role counts as defined.
func (t *Template) UndefinedReferences() []Reference {
	var bad []Reference
	for _, r := range t.References() {
		_, isParam := t.Parameters[r.Target]
		_, isRes := t.Resources[r.Target]
		if strings.HasSuffix(r.Target, "Role") {
			if f, ok := t.Resources[strings.TrimSuffix(r.Target, "Role")]; ok && f.Type == "AWS::Serverless::Function" {
				isRes = true
			}
		}
		ok := false
		switch r.Kind {
		case "Ref":
			ok = isParam || isRes || PseudoParameters[r.Target]
		case "Sub":
			ok = isRes || (r.Attr == "" && (isParam || PseudoParameters[r.Target]))
		case "GetAtt":
			ok = isRes && r.Attr != ""
		case "Condition":
			_, ok = t.Conditions[r.Target]
		}
		if !ok {
			bad = append(bad, r)
		}
	}
	return bad
}

// UnusedParameters returns the parameters nothing refers to, sorted.
func (t *Template) UnusedParameters() []string {
	used := map[string]bool{}
	for _, r := range t.References() {
		used[r.Target] = true
	}
	var out []string
	for name := range t.Parameters {
		if !used[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
