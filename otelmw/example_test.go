package otelmw_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/nethttpmw"
	"github.com/trustedip/trustedip/otelmw"
)

// A net/http server under otelhttp, behind a proxy at 127.0.0.1. The
// client wrote 6.6.6.6 in its own X-Forwarded-For, and the proxy added
// the address it saw, 203.0.113.7. otelhttp alone would record 6.6.6.6 as
// client.address; with Record as nethttpmw's hook, inside otelhttp's
// handler, the span has the verified client, and the proxy as its
// network peer.
func Example() {
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	defer tp.Shutdown(context.Background())

	res := core.MustNew(core.Config{TrustedProxies: []string{"127.0.0.1"}, Header: "X-Forwarded-For"})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	srv := &http.Server{
		Handler:     otelhttp.NewHandler(nethttpmw.New(res, nethttpmw.WithHook(otelmw.Record))(mux), "api", otelhttp.WithTracerProvider(tp)),
		ConnContext: nethttpmw.ConnContext(res),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)

	req, _ := http.NewRequest(http.MethodGet, "http://"+l.Addr().String()+"/", nil)
	req.Header.Set("X-Forwarded-For", "6.6.6.6, 203.0.113.7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	srv.Shutdown(context.Background()) // waits for the handler, and so its span, to end

	attrs := map[string]string{}
	for _, kv := range exporter.GetSpans()[0].Attributes {
		attrs[string(kv.Key)] = kv.Value.Emit()
	}
	fmt.Println("client.address", attrs["client.address"])
	fmt.Println("network.peer.address", attrs["network.peer.address"])
	// Output:
	// client.address 203.0.113.7
	// network.peer.address 127.0.0.1
}
