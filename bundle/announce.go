package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// PartsKey is the key of connector.json that lists the parts the tenant's
// detail announced when the connector was exported: "source-config",
// "source-template", "correlation-config" and "translations/<locale>", sorted.
// Every part it lists has a file in the bundle; a Writer refuses a connector
// lacking one (ErrPartMissing) and a reader refuses a bundle lacking one. A
// connector.json without it (older bundles, bundles of other origin) promises
// nothing.
const PartsKey = "connvault.parts"

// ErrPartMissing is wrapped by Add's error for a connector whose connector.json
// announces a part that it does not carry: that connector cannot be added
// (its backup would be silently short), the others can.
var ErrPartMissing = errors.New("announced part missing")

// announcedParts returns the parts listed under PartsKey in a connector.json
// object; an error when the value is not a list of strings.
func announcedParts(obj map[string]json.RawMessage) ([]string, error) {
	raw, ok := obj[PartsKey]
	if !ok {
		return nil, nil
	}
	var parts []string
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, fmt.Errorf("%s is not a list of part names: %v", PartsKey, err)
	}
	return parts, nil
}

// partFile returns the kind and locale of a part name as PartsKey lists it.
func partFile(part string) (kind, locale string, ok bool) {
	if l, isTr := strings.CutPrefix(part, KindTranslations+"/"); isTr {
		return KindTranslations, l, safeSegment(l)
	}
	switch part {
	case KindSourceConfig, KindSourceTemplate, KindCorrelationConfig:
		return part, "", true
	}
	return "", "", false
}

// checkAnnounced returns an error naming the first part that connector.json
// (detail) announces and that has is false for.
func checkAnnounced(detail []byte, has func(kind, locale string) bool) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(detail, &obj); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	parts, err := announcedParts(obj)
	if err != nil {
		return err
	}
	for _, p := range parts {
		kind, locale, ok := partFile(p)
		if !ok {
			return fmt.Errorf("%s names an unknown part %q", PartsKey, p)
		}
		if !has(kind, locale) {
			return fmt.Errorf("the tenant's detail announced %s, but the bundle has no file for it: %w", p, ErrPartMissing)
		}
	}
	return nil
}
