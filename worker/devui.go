package main

import (
	"fmt"
	"os"

	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/devui"
	"github.com/breachflow/breachflow/internal/engine"
)

// startDevUI serves the Temporal UI for worker --dev, pointed at the embedded frontend and, when
// payloads are encrypted, at a codec endpoint in this process. flagAddr (--ui) overrides the
// environment; "off" serves none. When the default port is taken (another dev server runs), the
// worker goes on without the UI; an address asked for explicitly must work.
func startDevUI(flagAddr string, obs config.Observability, temporalAddr, namespace string, keys *codec.Keyring) (func(), error) {
	addr, explicit := flagAddr, flagAddr != ""
	if addr == "" {
		addr, explicit = obs.UIAddr, obs.UIAddr != ""
	}
	if addr == "" {
		addr = config.DefaultDevUIAddr
	}
	if addr == "off" {
		return func() {}, nil
	}
	ui, err := devui.Start(devui.Options{Addr: addr, TemporalAddress: temporalAddr, Namespace: namespace, Keys: keys})
	if err != nil {
		if explicit {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "worker: no Temporal UI: %v\n", err)
		return func() {}, nil
	}
	fmt.Printf("Temporal UI on %s (incidents at %s)\n", ui.URL(), engine.WorkflowUIURL(ui.URL(), namespace, ""))
	if ui.CodecURL() != "" {
		fmt.Printf("the UI decodes payloads through the codec endpoint %s (loopback only)\n", ui.CodecURL())
	}
	return ui.Stop, nil
}
