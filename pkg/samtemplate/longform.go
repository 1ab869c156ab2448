package samtemplate

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// LongForm reads a CloudFormation/SAM template in YAML into plain JSON
// values (maps, slices, strings, numbers, booleans, nil), with the
// short-form intrinsics written out as CloudFormation itself reads them:
// !Ref x → {"Ref": x}, !GetAtt A.B → {"Fn::GetAtt": ["A", "B"]},
// !Condition c → {"Condition": c}, and every other !Fn → {"Fn::Fn": …}.
// JSON schemas of the template (AWS's SAM schema) know only that form.
func LongForm(src []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("samtemplate: want one YAML document")
	}
	return longForm(doc.Content[0])
}

func longForm(n *yaml.Node) (any, error) {
	v, err := plain(n)
	if err != nil {
		return nil, err
	}
	tag := n.Tag
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") {
		return v, nil
	}
	fn := tag[1:]
	switch fn {
	case "Ref", "Condition":
		return map[string]any{fn: v}, nil
	case "GetAtt":
		// The scalar form names the resource and the attribute with a dot;
		// the attribute itself may hold dots (Endpoint.Address).
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("samtemplate: line %d: !GetAtt %q names no attribute", n.Line, s)
			}
			v = []any{res, attr}
		}
	}
	return map[string]any{"Fn::" + fn: v}, nil
}

// plain reads n's value, its children in long form, ignoring n's own tag.
func plain(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("samtemplate: line %d: a key that is not a scalar", k.Line)
			}
			v, err := longForm(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := longForm(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.AliasNode:
		return longForm(n.Alias)
	case yaml.ScalarNode:
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			return n.Value, nil // an intrinsic's argument is its text
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("samtemplate: line %d: %w", n.Line, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("samtemplate: line %d: unexpected YAML node", n.Line)
}
