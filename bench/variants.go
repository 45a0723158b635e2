package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// variantCells are the tenant variants of `connvault sim --variant` (the
// keys of tenantsim.VariantKeys with every value but the default, one key at
// a time), the default first, and the one undecidable combination.
func variantCells() []string {
	return []string{
		"default",
		"detail-locales=requested",
		"missing-locale=empty", "missing-locale=en",
		"detail-bytes=normalised",
		"upload-normalise=crlf",
		"list-order=unstable",
		"page-cap=7",
		"custom-type=any",
		"create-status=lenient",
		"duplicate-name=409",
		"metadata-remove=refused",
		"translations-part=any",
		"source-config-json=json", "source-config-json=null",
		"detail-locales=requested,missing-locale=en",
	}
}

// variantRequests prints, for every tenant variant, what an export (default
// options) and an import into an empty tenant of the same variant cost in
// requests, and what a re-import of the unchanged bundle costs.
func (h *harness) variantRequests(quick bool) error {
	n := 40
	if quick {
		n = 10
	}
	fmt.Printf("### Requests per tenant variant\n\n")
	fmt.Printf("`connvault sim --connectors %d --locales 3 --seed 21 --rate-limit 0 --variant V`; `connvault export --json --rate 0` (default options); "+
		"then `connvault import --yes --json --rate 0` of that bundle into `connvault sim --connectors 0 --variant V`, and again (re-import). "+
		"Requests are HTTP requests the client sent (retries included); per connector = requests ÷ connectors exported.\n\n", n)
	fmt.Println("| variant | connectors exported | export requests | per connector | import requests | per connector | re-import requests |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, v := range variantCells() {
		variant := []string{"--variant", v}
		if v == "default" {
			variant = nil
		}
		src, err := h.startSim(append([]string{"--connectors", fmt.Sprint(n), "--locales", "3", "--seed", "21", "--rate-limit", "0"}, variant...)...)
		if err != nil {
			return err
		}
		slug := strings.NewReplacer("=", "-", ",", "_").Replace(v)
		bundlePath := filepath.Join(h.dir, "variant-"+slug+".tar.gz")
		var sum exportSummary
		err = h.connvault(src, &sum, "export", "--json", "--rate", "0", "--out", bundlePath)
		src.stop()
		if err != nil {
			return err
		}
		dst, err := h.startSim(append([]string{"--connectors", "0", "--seed", "22", "--rate-limit", "0"}, variant...)...)
		if err != nil {
			return err
		}
		state := filepath.Join(h.dir, "variant-state-"+slug)
		var first, again importResult
		err = h.connvault(dst, &first, "import", "--yes", "--json", "--rate", "0", "--state-dir", state, bundlePath)
		if err == nil {
			err = h.connvault(dst, &again, "import", "--yes", "--json", "--rate", "0", "--state-dir", state, bundlePath)
		}
		dst.stop()
		if err != nil {
			return err
		}
		per := func(r int64) float64 { return float64(r) / float64(max(sum.Connectors, 1)) }
		fmt.Printf("| `%s` | %d | %d | %.2f | %d | %.2f | %d |\n", v, sum.Connectors, sum.Requests, per(sum.Requests), first.Requests, per(first.Requests), again.Requests)
	}
	fmt.Println()
	return nil
}
