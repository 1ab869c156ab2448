package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sorae/tabane/pkg/auth"
)

// keysTimeout bounds the read of the keyring: Lambda gives a function's
// whole initialisation 10 seconds, and a stuck read should fail it with
// this error rather than Lambda's timeout.
const keysTimeout = 5 * time.Second

// LoadKeys reads the keyring from the Secrets Manager secret secretID (its
// ARN), with the client pointed at endpoint when set. The secret's string
// is what auth.ParseKeyring reads: the keyring's JSON, or the plain
// random string template.yaml first generates (the single key k1). Its
// errors name the secret, never its value.
func LoadKeys(ctx context.Context, awsCfg aws.Config, endpoint, secretID string) (*auth.Keyring, error) {
	ctx, cancel := context.WithTimeout(ctx, keysTimeout)
	defer cancel()
	c := secretsmanager.NewFromConfig(awsCfg, func(o *secretsmanager.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil {
		return nil, fmt.Errorf("app: read the keyring from %s: %w", secretID, err)
	}
	if out.SecretString == nil {
		return nil, errors.New("app: the keyring secret " + secretID + " has no string value")
	}
	keys, err := auth.ParseKeyring(*out.SecretString)
	if err != nil {
		return nil, fmt.Errorf("app: the keyring secret %s: %w", secretID, err)
	}
	return keys, nil
}
