package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// queryAll runs in page after page and returns every item it finds,
// unmarshalled into an I (the private item struct) and converted by conv.
// The paginator follows LastEvaluatedKey, so a result larger than the 1 MB
// one Query returns is still read whole. in is sent as the caller built it:
// its index, consistency, order and Limit (a per-page size, not a total) are
// the caller's. The result is empty, never nil, when nothing matches, so a
// list reaches a client as [] rather than null.
func queryAll[I, T any](ctx context.Context, client dynamodb.QueryAPIClient, in *dynamodb.QueryInput, conv func(I) (T, error)) ([]T, error) {
	out := []T{}
	p := dynamodb.NewQueryPaginator(client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		got, err := convertItems(page.Items, conv)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// convertItems unmarshals raw items into Is and converts each with conv, in
// order; the result is never nil. It serves queryAll and the callers of
// Store.page alike.
func convertItems[I, T any](raw []map[string]types.AttributeValue, conv func(I) (T, error)) ([]T, error) {
	var items []I
	if err := attributevalue.UnmarshalListOfMaps(raw, &items); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		v, err := conv(it)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// infallible adapts a conversion that cannot fail (most item methods, such
// as eventItem.event) to the form queryAll and convertItems take; only
// memberItem.member can fail.
func infallible[I, T any](f func(I) T) func(I) (T, error) {
	return func(it I) (T, error) { return f(it), nil }
}

// same is the conversion that keeps the item struct itself, for callers
// that need its keys rather than the domain value.
func same[I any](it I) (I, error) { return it, nil }
