// Command cereader reads webhooks and Kafka records with the Go CloudEvents SDK.
//
// stdin: {"webhooks": [{"name", "headers": {name: value}, "body"}],
//
//	"records": [{"name", "key", "value", "headers": [[name, value], ...]}]}
//
// stdout: one JSON line per message: {"name", "ok", "event"} or {"name", "ok": false, "error"}.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"github.com/IBM/sarama"
	"github.com/cloudevents/sdk-go/protocol/kafka_sarama/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

type webhook struct {
	Name    string            `json:"name"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

type record struct {
	Name    string      `json:"name"`
	Key     string      `json:"key"`
	Value   string      `json:"value"`
	Headers [][2]string `json:"headers"`
}

type input struct {
	Webhooks []webhook `json:"webhooks"`
	Records  []record  `json:"records"`
}

type result struct {
	Name  string       `json:"name"`
	OK    bool         `json:"ok"`
	Event *event.Event `json:"event,omitempty"`
	Error string       `json:"error,omitempty"`
}

func readWebhook(w webhook) (*event.Event, error) {
	request, err := http.NewRequest(http.MethodPost, "http://receiver.invalid/", bytes.NewBufferString(w.Body))
	if err != nil {
		return nil, err
	}
	for name, value := range w.Headers {
		request.Header.Set(name, value)
	}
	return cehttp.NewEventFromHTTPRequest(request)
}

func readRecord(r record) (*event.Event, error) {
	headers := make([]*sarama.RecordHeader, 0, len(r.Headers))
	for _, h := range r.Headers {
		headers = append(headers, &sarama.RecordHeader{Key: []byte(h[0]), Value: []byte(h[1])})
	}
	message := kafka_sarama.NewMessageFromConsumerMessage(&sarama.ConsumerMessage{
		Key: []byte(r.Key), Value: []byte(r.Value), Headers: headers,
	})
	return binding.ToEvent(context.Background(), message)
}

func report(name string, read func() (*event.Event, error)) result {
	e, err := read()
	if err == nil {
		err = e.Validate()
	}
	if err != nil {
		return result{Name: name, Error: err.Error()}
	}
	return result{Name: name, OK: true, Event: e}
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "input:", err)
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	for _, w := range in.Webhooks {
		if err := out.Encode(report(w.Name, func() (*event.Event, error) { return readWebhook(w) })); err != nil {
			fmt.Fprintln(os.Stderr, "output:", err)
			os.Exit(2)
		}
	}
	for _, r := range in.Records {
		if err := out.Encode(report(r.Name, func() (*event.Event, error) { return readRecord(r) })); err != nil {
			fmt.Fprintln(os.Stderr, "output:", err)
			os.Exit(2)
		}
	}
}
