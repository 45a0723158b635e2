package bundle

import "testing"

func TestCanonicalEqual(t *testing.T) {
	const doc = "<?xml version='1.0' encoding='UTF-8'?>\n<Form name=\"a\">\n  <Field/>\n</Form>\n"
	for _, tc := range []struct {
		name, kind string
		a, b       string
		want       bool
	}{
		{"identical", KindSourceConfig, doc, doc, true},
		{"CRLF", KindSourceConfig, doc, "<?xml version='1.0' encoding='UTF-8'?>\r\n<Form name=\"a\">\r\n  <Field/>\r\n</Form>\r\n", true},
		{"another declaration", KindSourceTemplate, doc, "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"no\"?>\r\n<Form name=\"a\">\n  <Field/>\n</Form>", true},
		{"no declaration", KindCorrelationConfig, doc, "<Form name=\"a\">\n  <Field/>\n</Form>", true},
		{"byte-order mark", KindSourceConfig, doc, "\ufeff" + doc, true},
		{"other encoding is content", KindSourceConfig, doc, "<?xml version='1.0' encoding='ISO-8859-1'?>\n<Form name=\"a\">\n  <Field/>\n</Form>\n", false},
		{"inner white space is content", KindSourceConfig, doc, "<?xml version='1.0' encoding='UTF-8'?>\n<Form name=\"a\">\n    <Field/>\n</Form>\n", false},
		{"attribute", KindSourceConfig, doc, "<?xml version='1.0' encoding='UTF-8'?>\n<Form name=\"b\">\n  <Field/>\n</Form>\n", false},
		{"translations CRLF", KindTranslations, "a=1\nb=2\n", "a=1\r\nb=2\r\n", true},
		{"translations trailing space is content", KindTranslations, "a=1\n", "a=1 \n", false},
		{"translations declaration-like text is content", KindTranslations, "<?xml version='1.0'?>a=1", "a=1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CanonicalEqual(tc.kind, []byte(tc.a), []byte(tc.b)); got != tc.want {
				t.Errorf("CanonicalEqual = %v, want %v\n%q\n%q", got, tc.want, Canonical(tc.kind, []byte(tc.a)), Canonical(tc.kind, []byte(tc.b)))
			}
		})
	}
}
