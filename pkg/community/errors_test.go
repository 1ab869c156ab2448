package community

import (
	"errors"
	"fmt"
	"testing"
)

func TestReasons(t *testing.T) {
	t.Run("DerivedErrorMatchesItsReason", func(t *testing.T) {
		err := fmt.Errorf("wrapped: %w", ErrEventFull.Messagef("残り%d席", 0))
		if !errors.Is(err, ErrEventFull) || errors.Is(err, ErrEventCancelled) {
			t.Errorf("errors.Is: %v", err)
		}
		if ReasonOf(err) != ErrEventFull || ErrorMessage(err) != "残り0席" || ErrorCode(err) != Conflict {
			t.Errorf("reason %v, message %q, code %q", ReasonOf(err), ErrorMessage(err), ErrorCode(err))
		}
	})
	t.Run("BareReason", func(t *testing.T) {
		if ReasonOf(ErrEventFull) != ErrEventFull || ErrorMessage(ErrEventFull) != ErrEventFull.Message() {
			t.Error("a bare reason is not its own reason")
		}
	})
	t.Run("ForeignIsInternal", func(t *testing.T) {
		err := errors.New("dynamo: boom")
		if ReasonOf(err) != ErrInternal || ErrorMessage(err) == "dynamo: boom" || ReasonOf(nil) != nil {
			t.Errorf("foreign error: %v %q", ReasonOf(err), ErrorMessage(err))
		}
	})
	t.Run("ErrorWithoutReasonIsInternal", func(t *testing.T) {
		err := &Error{Message: "secret detail"}
		if ReasonOf(err) != ErrInternal || ErrorMessage(err) == "secret detail" || ErrorFields(err) != nil {
			t.Errorf("reasonless error: %v %q", ReasonOf(err), ErrorMessage(err))
		}
		_ = err.Error() // must not panic
	})
	t.Run("RetryOnRetriesOnlyItsReasons", func(t *testing.T) {
		n := 0
		err := RetryOn(3, func() error { n++; return ErrEventChanged }, ErrEventChanged)
		if n != 3 || !errors.Is(err, ErrEventChanged) {
			t.Errorf("ran %d times, err %v", n, err)
		}
		n = 0
		err = RetryOn(3, func() error { n++; return ErrEventFull }, ErrEventChanged)
		if n != 1 || !errors.Is(err, ErrEventFull) {
			t.Errorf("ran %d times on another reason, err %v", n, err)
		}
	})
}
