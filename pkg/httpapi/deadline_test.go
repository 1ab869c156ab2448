package httpapi

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// A request whose AWS call hangs answers the contract's 503 before the
// function's deadline, not Lambda's bare 500 after it: the call (with the
// SDK's retries and their waits) ends AnswerMargin before the deadline.
func TestAnswerBeforeDeadline(t *testing.T) {
	// A DynamoDB that takes connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	db := dynamodb.New(dynamodb.Options{
		Region: "ap-northeast-1", BaseEndpoint: aws.String("http://" + ln.Addr().String()),
		Credentials: aws.AnonymousCredentials{},
	})
	deadline := time.Now().Add(AnswerMargin + 1500*time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	req := Request{RouteKey: "GET /api/events", Headers: map[string]string{}}
	resp := Serve(ctx, nil, req, func(ctx context.Context) (Response, error) {
		_, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
		return Response{}, err
	})
	if answered := time.Now(); !answered.Before(deadline) {
		t.Errorf("answered %v after the deadline", answered.Sub(deadline))
	}
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || resp.StatusCode != 503 || body.Error.Code != "service_unavailable" {
		t.Errorf("= %d %s, want 503 service_unavailable", resp.StatusCode, resp.Body)
	}
}

// Work that watches its context only (no AWS call) gets the same answer.
func TestAnswerMarginOwnWork(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), AnswerMargin+200*time.Millisecond)
	defer cancel()
	resp := Serve(ctx, nil, Request{Headers: map[string]string{}}, func(ctx context.Context) (Response, error) {
		<-ctx.Done()
		return Response{}, ctx.Err()
	})
	if resp.StatusCode != 503 || ctx.Err() != nil {
		t.Errorf("= %d %s (parent %v), want 503 before the parent's deadline", resp.StatusCode, resp.Body, ctx.Err())
	}
}
