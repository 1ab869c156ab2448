// Package samtemplate reads template.yaml, the AWS SAM template, so that the
// dev server and the tests take routes, schedules, stream events and the
// table from the same file that is deployed: local and deployed shapes cannot
// drift.
package samtemplate

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Template is the parsed template; resource properties stay as YAML nodes
// because they carry CloudFormation tags (!Ref, !GetAtt, !Sub).
type Template struct {
	Globals    yaml.Node            `yaml:"Globals"`
	Parameters map[string]Parameter `yaml:"Parameters"`
	Conditions map[string]yaml.Node `yaml:"Conditions"`
	Resources  map[string]Resource  `yaml:"Resources"`
	Outputs    map[string]yaml.Node `yaml:"Outputs"`

	root yaml.Node // the whole document, for walking every reference
}

// Parameter is one template parameter.
type Parameter struct {
	Type          string   `yaml:"Type"`
	Default       string   `yaml:"Default"`
	NoEcho        bool     `yaml:"NoEcho"`
	AllowedValues []string `yaml:"AllowedValues"`
	Description   string   `yaml:"Description"`
}

// Resource is one CloudFormation resource.
type Resource struct {
	Type       string    `yaml:"Type"`
	Condition  string    `yaml:"Condition"`
	Properties yaml.Node `yaml:"Properties"`
	Metadata   yaml.Node `yaml:"Metadata"`
}

// Load parses the template at path.
func Load(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	return Parse(b)
}

// Parse parses template bytes.
func Parse(b []byte) (*Template, error) {
	var t Template
	if err := yaml.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	if err := yaml.Unmarshal(b, &t.root); err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	return &t, nil
}

// Find walks up from the working directory to template.yaml.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "template.yaml")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("samtemplate: no template.yaml above the working directory")
		}
		dir = parent
	}
}

// LoadNearest finds and loads the template.yaml above the working directory.
func LoadNearest() (*Template, error) {
	_, t, err := LoadRepo()
	return t, err
}

// LoadRepo loads the nearest template.yaml and returns the repository root
// it sits in, for the tests that check the repository against it.
func LoadRepo() (root string, t *Template, err error) {
	p, err := Find()
	if err != nil {
		return "", nil, err
	}
	t, err = Load(p)
	return filepath.Dir(p), t, err
}
