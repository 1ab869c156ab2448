package devserver

import (
	"os"
	"testing"

	"github.com/sorae/tabane/pkg/standins/localtest"
)

// The stream tests read real DynamoDB streams from DynamoDB Local.
func TestMain(m *testing.M) { os.Exit(localtest.Main(m)) }
