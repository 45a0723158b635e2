package tenantsim

import (
	"fmt"
	"strings"
)

// lazySource generates a seeded connector's content. The same seed gives the
// same bytes; each part and locale has its own stream, so generating one part
// never needs the others.
type lazySource struct {
	seed    uint64
	locales []string // sorted
}

func (s *lazySource) xml(c *DumpConnector, p part) string {
	r := newPRNG(mix(s.seed, uint64(p)))
	switch p {
	case partSourceConfig:
		return genSourceConfig(r, c)
	case partSourceTemplate:
		return genApplication(r, c)
	default:
		return genCorrelation(r, c)
	}
}

func (s *lazySource) translation(c *DumpConnector, locale string) string {
	return genTranslation(newPRNG(mix(s.seed, uint64(partTranslations), hashString(locale))), c, locale)
}

// configSize draws the size of a source config or source template: log-uniform
// over 1–20 KB, and 40–200 KB for about one in twenty-five.
func configSize(r *prng) int {
	if r.float() < 0.04 {
		return r.logUniform(40<<10, 200<<10)
	}
	return r.logUniform(1<<10, 20<<10)
}

// attr quotes s as an XML attribute value.
func attr(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	writeEscaped(&b, s)
	b.WriteByte('"')
	return b.String()
}

// text escapes s as XML character data.
func text(s string) string {
	var b strings.Builder
	writeEscaped(&b, s)
	return b.String()
}

func writeEscaped(b *strings.Builder, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			b.WriteRune(r)
		}
	}
}

type formField struct{ name, typ, label string }

func formFields() []formField {
	return []formField{
		{"host", "url", "HostURL"}, {"port", "number", "Port"}, {"username", "text", "Username"},
		{"password", "secret", "Password"}, {"apiToken", "secret", "API_TOKEN"}, {"clientId", "text", "ClientID"},
		{"clientSecret", "secret", "ClientSecret"}, {"tenantId", "text", "TenantID"}, {"baseUrl", "url", "BaseURL"},
		{"pageSize", "number", "Page_Size"}, {"connectionTimeout", "number", "ConnectionTimeout"},
		{"accountFilter", "textarea", "FilterConditionForAccounts"}, {"groupFilter", "textarea", "FilterConditionForGroups"},
		{"searchDN", "text", "SearchDN"}, {"groupSearchDN", "text", "GroupSearchDN"}, {"proxyHost", "text", "ProxyHost"},
		{"authType", "select", "AuthenticationType"}, {"deltaAggregation", "checkbox", "DeltaAggregation"},
		{"partitionCount", "number", "PartitionCount"}, {"jsonPathMapping", "keyValue", "JSONPathMapping"},
	}
}

func sectionNames() []string {
	return []string{"AuthenticationSettings", "ConnectionSettings", "AggregationSettings", "ProvisioningSettings", "AdvancedSettings", "AttributeMapping"}
}

// genSourceConfig makes a `<Form … type="SourceConfig">` with Sections of Fields.
func genSourceConfig(r *prng, c *DumpConnector) string {
	target := configSize(r)
	var b strings.Builder
	b.Grow(target + 1024)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n")
	b.WriteString("<!-- Copyright (C) 2024 SailPoint Technologies, Inc.  All rights reserved. -->\n")
	fmt.Fprintf(&b, `<Form xmlns="http://www.sailpoint.com/xsd/sailpoint_form_2_0.xsd" connectorName=%s directConnect="%t" fileUpload="%t" name=%s status="released" type="SourceConfig">`+"\n",
		attr(c.Type), c.DirectConnect, c.FileUpload, attr(c.Name))
	b.WriteString("  <BaseConfig>\n")
	if c.FileUpload {
		b.WriteString(`    <Field maxFiles="10" maxSize="300" name="fileUpload" supportedExtensions="jar" type="fileupload" validateJSON="false"/>` + "\n")
	}
	b.WriteString("  </BaseConfig>\n  <Sections>\n")
	secs, fields := sectionNames(), formFields()
	var menu []string
	for i := 0; i < 2 || b.Len() < target; i++ {
		sec := secs[i%len(secs)]
		if i >= len(secs) {
			sec += itoa(i/len(secs) + 1)
		}
		menu = append(menu, sec)
		fmt.Fprintf(&b, `    <Section helpKey="help_%[1]s" name="%[1]s" sectionHelpMessageKey="sectionInfo_%[1]s" sectionTitleKey="sectionLabel_%[1]s">`+"\n", sec)
		for range r.between(2, 7) {
			f := pick(r, fields)
			name := f.name
			if i >= len(secs) {
				name += itoa(i)
			}
			fmt.Fprintf(&b, `      <Field displayName=%s helpKey="help_%s" maxlength="%d" name="connectorAttributes.%s" required="%t" type="%s"`,
				attr(f.label), name, pick(r, []int{64, 128, 255, 1024}), name, r.float() < 0.4, f.typ)
			switch f.typ {
			case "select":
				b.WriteString(">\n        <AllowedValues>\n")
				for _, v := range []string{"basic", "oauth2", "apiKey"} {
					fmt.Fprintf(&b, "          <Value label=%s value=%s/>\n", attr(v), attr(v))
				}
				b.WriteString("        </AllowedValues>\n      </Field>\n")
			case "url", "text":
				fmt.Fprintf(&b, " placeholder=%s/>\n", attr(placeholder(r, f.name, c.Name)))
			default:
				b.WriteString("/>\n")
			}
		}
		b.WriteString("    </Section>\n")
	}
	b.WriteString("  </Sections>\n  <Menus>\n    <Menu label=\"menuLabel_ConnectionSettings\">\n")
	for _, sec := range menu {
		fmt.Fprintf(&b, "      <MenuItem label=\"menuLabel_%[1]s\" sectionRef=\"%[1]s\"/>\n", sec)
	}
	b.WriteString("    </Menu>\n  </Menus>\n</Form>\n")
	return b.String()
}

func placeholder(r *prng, field, name string) string {
	host := slug(name) + ".example.com"
	switch field {
	case "host", "baseUrl":
		return "https://" + host + pick(r, []string{"/api/v2", "/scim/v2", ""})
	case "searchDN", "groupSearchDN":
		return "ou=Benutzer,dc=" + strings.SplitN(host, ".", 2)[0] + ",dc=example,dc=com"
	default:
		return pick(r, []string{"z.B. svc_iam", "ex. compte-service", "p.ex. süd-ost", "e.g. svc-identity"})
	}
}

func schemaAttributes() []string {
	return []string{"id", "userName", "displayName", "email", "firstName", "lastName", "department", "title",
		"manager", "employeeNumber", "location", "costCenter", "groups", "roles", "status", "lastLogin",
		"phone", "mobile", "company", "division", "startDate", "endDate", "preferredLanguage", "Kostenstelle"}
}

// genApplication makes an `<Application connector=… type=…>` with an
// Attributes map and Schemas: the source template.
func genApplication(r *prng, c *DumpConnector) string {
	target := configSize(r)
	var b strings.Builder
	b.Grow(target + 1024)
	b.WriteString("<?xml version='1.0' encoding='UTF-8'?>\n")
	b.WriteString(`<!DOCTYPE Application PUBLIC "sailpoint.dtd" "sailpoint.dtd">` + "\n")
	fmt.Fprintf(&b, "<Application connector=%s featuresString=%s icon=\"genericIcon\" name=%s type=%s>\n",
		attr(c.ClassName), attr(strings.Join(c.Features, ", ")), attr(c.Name), attr(c.Type))
	b.WriteString("  <Attributes>\n    <Map>\n")
	fmt.Fprintf(&b, "      <entry key=\"connectorName\" value=%s/>\n", attr(c.Name))
	fmt.Fprintf(&b, "      <entry key=\"pageSize\" value=\"%d\"/>\n", pick(r, []int{100, 250, 500, 1000}))
	fmt.Fprintf(&b, "      <entry key=\"connectionTimeout\" value=\"%d\"/>\n", r.between(1, 10))
	fmt.Fprintf(&b, "      <entry key=\"deltaAggregationEnabled\" value=\"%t\"/>\n", r.float() < 0.5)
	fmt.Fprintf(&b, "      <entry key=\"description\" value=%s/>\n", attr(shortDesc(r, c.Name)))
	b.WriteString("    </Map>\n  </Attributes>\n  <Schemas>\n")
	attrs := schemaAttributes()
	objectTypes := []string{"account", "group", "role", "entitlement"}
	for s := 0; s < 1 || b.Len() < target; s++ {
		ot := objectTypes[s%len(objectTypes)]
		fmt.Fprintf(&b, "    <Schema displayAttribute=\"displayName\" identityAttribute=\"id\" nativeObjectType=\"%[1]s\" objectType=\"%[1]s\">\n", ot)
		n := r.between(5, 40)
		for i := range n {
			name := attrs[i%len(attrs)]
			if i >= len(attrs) {
				name += itoa(i / len(attrs))
			}
			multi := ""
			if name == "groups" || name == "roles" {
				multi = ` multi="true"`
			}
			fmt.Fprintf(&b, "      <AttributeDefinition%s name=%s type=\"%s\">\n        <Description>%s</Description>\n      </AttributeDefinition>\n",
				multi, attr(name), pick(r, []string{"string", "string", "string", "int", "boolean", "date"}), text(describe(r, name, c.Name)))
			if b.Len() >= target && i >= 4 {
				break
			}
		}
		b.WriteString("    </Schema>\n")
	}
	b.WriteString("  </Schemas>\n</Application>\n")
	return b.String()
}

func describe(r *prng, attribute, name string) string {
	return fmt.Sprintf(pick(r, []string{"The %s of the account in %s", "Der Wert %s aus %s", "L'attribut %s de « %s »", "Atributo %s em %s & co."}), attribute, name)
}

// genCorrelation makes a `<CorrelationConfig name=…>` with AttributeAssignments.
func genCorrelation(r *prng, c *DumpConnector) string {
	var b strings.Builder
	b.WriteString("<?xml version='1.0' encoding='UTF-8'?>\n")
	b.WriteString("<!-- Copyright (C) 2021 SailPoint Technologies, Inc.  All rights reserved. -->\n\n")
	b.WriteString(`<!DOCTYPE CorrelationConfig PUBLIC "sailpoint.dtd" "sailpoint.dtd">` + "\n\n")
	fmt.Fprintf(&b, "<CorrelationConfig name=%s>\n  <AttributeAssignments>\n", attr(c.Type+" Account Correlation Config"))
	pairs := [][2]string{{"email", "mail"}, {"empId", "employeeNumber"}, {"displayName", "cn"}, {"uid", "userName"}, {"lastname", "sn"}, {"firstname", "givenName"}}
	for i := range r.between(1, len(pairs)) {
		fmt.Fprintf(&b, "    <Filter operation=\"EQ\" property=\"%s\" value=\"%s\"/>\n", pairs[i][0], pairs[i][1])
	}
	b.WriteString("  </AttributeAssignments>\n</CorrelationConfig>\n")
	return b.String()
}

// phrases returns six UI labels in a locale: connection settings, aggregation
// settings, host URL, page size, connection timeout, user name.
func phrases(locale string) [6]string {
	switch locale {
	case "de":
		return [6]string{"Verbindungseinstellungen", "Aggregationseinstellungen", "Host-URL", "Seitengröße", "Zeitüberschreitung bei Verbindung", "Benutzername"}
	case "fr":
		return [6]string{"Paramètres de connexion", "Paramètres d'agrégation", "URL de l'hôte", "Taille de page", "Délai de connexion", "Nom d'utilisateur"}
	case "es":
		return [6]string{"Configuración de conexión", "Configuración de agregación", "URL del host", "Tamaño de página", "Tiempo de espera de conexión", "Nombre de usuario"}
	case "it":
		return [6]string{"Impostazioni di connessione", "Impostazioni di aggregazione", "URL dell'host", "Dimensione pagina", "Timeout di connessione", "Nome utente"}
	case "pt":
		return [6]string{"Configurações de conexão", "Configurações de agregação", "URL do host", "Tamanho da página", "Tempo limite de conexão", "Nome de usuário"}
	case "nl":
		return [6]string{"Verbindingsinstellingen", "Aggregatie-instellingen", "Host-URL", "Paginagrootte", "Time-out voor verbinding", "Gebruikersnaam"}
	case "sv":
		return [6]string{"Anslutningsinställningar", "Aggregeringsinställningar", "Värd-URL", "Sidstorlek", "Tidsgräns för anslutning", "Användarnamn"}
	case "da":
		return [6]string{"Forbindelsesindstillinger", "Aggregeringsindstillinger", "Værts-URL", "Sidestørrelse", "Timeout for forbindelse", "Brugernavn"}
	case "no":
		return [6]string{"Tilkoblingsinnstillinger", "Aggregeringsinnstillinger", "Verts-URL", "Sidestørrelse", "Tidsavbrudd for tilkobling", "Brukernavn"}
	case "fi":
		return [6]string{"Yhteysasetukset", "Koontiasetukset", "Isännän URL-osoite", "Sivun koko", "Yhteyden aikakatkaisu", "Käyttäjätunnus"}
	case "pl":
		return [6]string{"Ustawienia połączenia", "Ustawienia agregacji", "Adres URL hosta", "Rozmiar strony", "Limit czasu połączenia", "Nazwa użytkownika"}
	case "cs":
		return [6]string{"Nastavení připojení", "Nastavení agregace", "Adresa URL hostitele", "Velikost stránky", "Časový limit připojení", "Uživatelské jméno"}
	case "hu":
		return [6]string{"Kapcsolati beállítások", "Összesítési beállítások", "Gazdagép URL-címe", "Oldalméret", "Kapcsolati időkorlát", "Felhasználónév"}
	case "ru":
		return [6]string{"Параметры подключения", "Параметры агрегации", "URL-адрес хоста", "Размер страницы", "Время ожидания подключения", "Имя пользователя"}
	case "ja":
		return [6]string{"接続設定", "集約設定", "ホストURL", "ページサイズ", "接続タイムアウト", "ユーザー名"}
	case "ko":
		return [6]string{"연결 설정", "집계 설정", "호스트 URL", "페이지 크기", "연결 시간 초과", "사용자 이름"}
	case "zh-CN":
		return [6]string{"连接设置", "聚合设置", "主机 URL", "页面大小", "连接超时", "用户名"}
	case "zh-TW":
		return [6]string{"連線設定", "彙總設定", "主機 URL", "頁面大小", "連線逾時", "使用者名稱"}
	}
	return [6]string{"Connection Settings", "Aggregation Settings", "Host URL", "Page Size", "Connection Timeout", "User Name"}
}

// genTranslation makes a properties text (key=value lines) for locale, in
// UTF-8, with one value \u-escaped the way sailpointTranslate writes them.
func genTranslation(r *prng, c *DumpConnector, locale string) string {
	p := phrases(locale)
	target := r.logUniform(600, 6<<10)
	var b strings.Builder
	b.Grow(target + 256)
	b.WriteString("# Copyright (C) 2024 SailPoint Technologies, Inc.  All rights reserved.\n")
	b.WriteString("# DO NOT EDIT. This file is generated by \"sailpointTranslate\" command.\n")
	fmt.Fprintf(&b, "menuLabel_ConnectionSettings=%s\nmenuLabel_AggregationSettings=%s\n", p[0], p[1])
	fmt.Fprintf(&b, "HostURL=%s\nPage_Size=%s\nConnectionTimeout=%s\nUsername=%s\n", p[2], p[3], p[4], p[5])
	fmt.Fprintf(&b, "placeHolder_host=https://%s.example.com/api\n", slug(c.Name))
	fmt.Fprintf(&b, "ShortDesc=%s \u2013 %s\n", c.Name, p[0])
	fmt.Fprintf(&b, "ShortDesc_escaped=%s\n", escapeProperties(p[4]))
	secs := sectionNames()
	for i := 0; b.Len() < target; i++ {
		sec := secs[i%len(secs)]
		fmt.Fprintf(&b, "sectionLabel_%s%d=%s %d\n", sec, i, p[r.intn(2)], i+1)
		fmt.Fprintf(&b, "sectionInfo_%s%d=%s: <strong>%s</strong>, %s.<br><br>%s\n", sec, i, p[0], p[2], p[3], c.Name)
	}
	return b.String()
}

// escapeProperties writes non-ASCII runes as \uXXXX, as Java properties do.
func escapeProperties(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 {
			b.WriteRune(r)
		} else if r <= 0xffff {
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

// setDefaultContent gives a newly created connector the content ISC gives it:
// a source config with the jar upload field, a bare Application and an empty
// correlation config.
func setDefaultContent(c *DumpConnector) {
	c.SourceConfigXml = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8" standalone="no"?><!-- Copyright (C) 2023 SailPoint Technologies, Inc.  All rights reserved. --><Form xmlns="http://www.sailpoint.com/xsd/sailpoint_form_2_0.xsd" connectorName=%s directConnect="%t" fileUpload="true" name=%s status="released" type="SourceConfig">
    <BaseConfig>
        <Field maxFiles="10" maxSize="300" name="fileUpload" supportedExtensions="jar" type="fileupload" validateJSON="false"/>
    </BaseConfig>
</Form>`, attr(c.Type), c.DirectConnect, attr(c.Name))
	c.ApplicationXml = fmt.Sprintf("<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE Application PUBLIC \"sailpoint.dtd\" \"sailpoint.dtd\">\n<Application connector=%s name=%s type=%s/>\n",
		attr(c.ClassName), attr(c.Name), attr(c.Type))
	c.CorrelationConfigXml = fmt.Sprintf("<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE CorrelationConfig PUBLIC \"sailpoint.dtd\" \"sailpoint.dtd\">\n<CorrelationConfig name=%s>\n  <AttributeAssignments/>\n</CorrelationConfig>\n",
		attr(c.Type+" Account Correlation Config"))
}
