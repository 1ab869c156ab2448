// Command keyring edits tabane's keyring (pkg/auth.Keyring) for a key
// rotation: it reads the secret's value on stdin — the keyring's JSON, or
// the plain string the template first generated — and writes the edited
// keyring's JSON on stdout, checked as the functions will read it. It
// talks to no AWS service: the value travels by pipe between the aws CLI
// calls of docs/keys.md and is never written to a file or a terminal.
//
//	keyring add              a new random key, not yet current
//	keyring promote ID       ID signs from now on
//	keyring retire ID        ID neither signs nor verifies
//	keyring show             ids and states, on stderr; no key material
package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/auth"
)

const usage = "usage: keyring add | promote ID | retire ID | show   (keyring on stdin, edited keyring on stdout)"

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "keyring:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, now time.Time) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	in, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
	if err != nil {
		return err
	}
	r, err := auth.ParseKeyring(string(in))
	if err != nil {
		return err
	}
	keys, current, digest := r.Keys(), r.CurrentID(), r.DigestID()
	find := func(id string) (int, error) {
		for i, k := range keys {
			if k.ID == id {
				return i, nil
			}
		}
		return 0, fmt.Errorf("no key %s", id)
	}
	switch cmd := args[0]; {
	case cmd == "add" && len(args) == 1:
		k := auth.Key{ID: nextID(keys), Secret: make([]byte, 32), Created: now.UTC().Truncate(time.Second)}
		_, _ = rand.Read(k.Secret) // crypto/rand.Read never fails on supported platforms
		keys = append(keys, k)
		fmt.Fprintf(stderr, "added %s; %s still signs until: keyring promote %s\n", k.ID, current, k.ID)
	case cmd == "promote" && len(args) == 2:
		i, err := find(args[1])
		if err != nil {
			return err
		}
		if keys[i].Retired {
			return fmt.Errorf("%s is retired", args[1])
		}
		current = args[1]
	case cmd == "retire" && len(args) == 2:
		i, err := find(args[1])
		if err != nil {
			return err
		}
		if args[1] == current {
			return fmt.Errorf("%s signs: promote another key first", args[1])
		}
		keys[i].Retired = true
	case cmd == "show" && len(args) == 1:
		for _, k := range keys {
			var state []string
			if k.ID == current {
				state = append(state, "current")
			}
			if k.ID == digest {
				state = append(state, "digest")
			}
			if k.Legacy {
				state = append(state, "legacy")
			}
			if k.Retired {
				state = append(state, "retired")
			}
			fmt.Fprintf(stderr, "%s\t%s\t%s\n", k.ID, k.Created.Format(time.DateOnly), strings.Join(state, ","))
		}
		return nil
	default:
		return errors.New(usage)
	}
	edited, err := auth.NewKeyring(keys, current, digest)
	if err != nil {
		return err
	}
	out, err := json.Marshal(edited)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// nextID is k<n+1> for the highest k<n> in use.
func nextID(keys []auth.Key) string {
	n := 0
	for _, k := range keys {
		if v, err := strconv.Atoi(strings.TrimPrefix(k.ID, "k")); err == nil && strings.HasPrefix(k.ID, "k") && v > n {
			n = v
		}
	}
	return "k" + strconv.Itoa(n+1)
}
