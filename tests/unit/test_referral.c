/*
 * Unit tests for referral validation: a table of rejected bodies, each
 * with the field the error must name, then accepted bodies with their
 * normalised fields, and the lookups of the fixed lists.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <jansson.h>
#include <string.h>

#include <cmocka.h>

#include "model/referral.h"

static const char valid_base[] =
	"\"summary\": \"Phishing site\", \"incident_type\": \"phishing\", "
	"\"objective\": \"takedown\"";

static enum ch_code validate(const char *text, struct referral_input *in, struct ch_error *err)
{
	json_error_t jerr;
	json_t *body = json_loads(text, JSON_DECODE_ANY, &jerr);
	enum ch_code rc;

	assert_non_null(body);
	rc = referral_validate(body, NULL, in, err);
	json_decref(body);
	return rc;
}

static void test_rejected(void **state)
{
	static const struct {
		const char *body;
		const char *field;
	} cases[] = {
		{ "[]", "" },
		{ "{\"incident_type\": \"phishing\", \"objective\": \"takedown\"}", "summary" },
		{ "{\"summary\": \"  \", \"incident_type\": \"phishing\", \"objective\": \"takedown\"}",
		  "summary" },
		{ "{\"summary\": 5, \"incident_type\": \"phishing\", \"objective\": \"takedown\"}",
		  "summary" },
		{ "{\"summary\": \"s\", \"objective\": \"takedown\"}", "incident_type" },
		{ "{\"summary\": \"s\", \"incident_type\": \"spam\", \"objective\": \"takedown\"}",
		  "incident_type" },
		{ "{\"summary\": \"s\", \"incident_type\": \"phishing\"}", "objective" },
		{ "{\"summary\": \"s\", \"incident_type\": \"phishing\", \"objective\": \"arrest\"}",
		  "objective" },
		{ "{%s, \"tlp\": \"PURPLE\"}", "tlp" },
		{ "{%s, \"tlp\": 3}", "tlp" },
		{ "{%s, \"victim\": \"DE\"}", "victim" },
		{ "{%s, \"victim_location\": \"line\\nbreak\"}", "victim_location" },
		{ "{%s, \"contact_allowed\": \"yes\"}", "contact_allowed" },
		{ "{%s, \"contact_method\": \"phone\"}", "contact_method" },
		{ "{%s, \"documentation_available\": 1}", "documentation_available" },
		{ "{%s, \"reports\": 4}", "reports" },
		{ "{%s, \"reports\": [1, \"2\"]}", "reports[1]" },
		{ "{%s, \"reports\": [0]}", "reports[0]" },
		{ "{%s, \"indicators\": [\"not an indicator\"]}", "indicators[0]" },
		{ "{%s, \"indicators\": 7}", "indicators" },
		{ "{\"summary\": \"two\\nlines\", \"incident_type\": \"other\", "
		  "\"objective\": \"takedown\"}",
		  "summary" },
		{ "{%s, \"victim_location\": \"DE\\u202etxt\"}", "victim_location" },
		{ "{%s, \"details\": \"C1 \\u009b control\"}", "details" },
		{ "{%s, \"documentation_available\": false, \"documentation\": \"logs\"}",
		  "documentation_available" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct referral_input in = { 0 };
		struct ch_error err = { 0 };
		const char *mark = strstr(cases[i].body, "%s");
		char body[1024];

		/* "%s" in a case stands for the valid required fields. */
		if (mark)
			snprintf(body, sizeof(body), "%.*s%s%s", (int)(mark - cases[i].body),
				 cases[i].body, valid_base, mark + 2);
		else
			snprintf(body, sizeof(body), "%s", cases[i].body);
		if (validate(body, &in, &err) == CH_OK)
			fail_msg("accepted: %s", body);
		if (strcmp(err.field, cases[i].field) != 0)
			fail_msg("%s: field [%s], expected [%s] (%s)", body, err.field, cases[i].field,
				 err.message);
		assert_true(err.message[0] != '\0');
		assert_null(in.summary);
	}
}

static void test_summary_limit(void **state)
{
	struct referral_input in = { 0 };
	struct ch_error err = { 0 };
	char body[2048], summary[REFERRAL_SUMMARY_MAX + 2];

	(void)state;
	memset(summary, 'a', sizeof(summary) - 1);
	summary[sizeof(summary) - 1] = '\0';
	snprintf(body, sizeof(body), "{\"summary\": \"%s\", \"incident_type\": \"other\", "
				     "\"objective\": \"takedown\"}", summary);
	assert_int_not_equal(validate(body, &in, &err), CH_OK);
	assert_string_equal(err.field, "summary");
	summary[REFERRAL_SUMMARY_MAX] = '\0';
	snprintf(body, sizeof(body), "{\"summary\": \"%s\", \"incident_type\": \"other\", "
				     "\"objective\": \"takedown\"}", summary);
	assert_int_equal(validate(body, &in, &err), CH_OK);
	referral_input_free(&in);
}

static void test_accepted(void **state)
{
	struct referral_input in = { 0 };
	struct ch_error err = { 0 };

	(void)state;
	assert_int_equal(validate("{\"summary\": \"  Fake shop  \", \"incident_type\": "
				  "\"Data Breach or Leak\", \"objective\": \"victim-notification\", "
				  "\"tlp\": \"tlp:amber+strict\", \"documentation\": \"logs\", "
				  "\"contact_allowed\": true, \"contact_method\": \"signal\", "
				  "\"reports\": [3, 3, 9], \"indicators\": \"see hxxp://shop[.]example/x "
				  "and shop[.]example\", \"reporter_handle\": \"@alice\"}",
				  &in, &err),
			 CH_OK);
	assert_string_equal(in.summary, "Fake shop");
	assert_string_equal(in.incident_type, "data_breach");
	assert_string_equal(in.objective, "victim_notification");
	assert_int_equal(in.tlp, TLP_AMBER_STRICT);
	assert_true(in.documentation_available);
	assert_true(in.contact_allowed);
	assert_string_equal(in.contact_method, "signal");
	assert_string_equal(in.reporter_handle, "@alice");
	assert_int_equal(in.report_count, 2);
	assert_int_equal(in.report_ids[0], 3);
	assert_int_equal(in.report_ids[1], 9);
	assert_true(in.indicators.count >= 1);
	assert_string_equal(in.indicators.items[0].ioc.value, "http://shop.example/x");
	referral_input_free(&in);

	/* Defaults: AMBER, nothing optional, documentation not claimed. */
	assert_int_equal(validate("{\"summary\": \"s\", \"incident_type\": \"ddos\", "
				  "\"objective\": \"information only\", "
				  "\"documentation_available\": false}",
				  &in, &err),
			 CH_OK);
	assert_int_equal(in.tlp, TLP_AMBER);
	assert_false(in.documentation_available);
	assert_false(in.contact_allowed);
	assert_null(in.victim_location);
	assert_int_equal(in.indicators.count, 0);
	referral_input_free(&in);
}

static void test_lists(void **state)
{
	(void)state;
	assert_string_equal(referral_choice_find(referral_incident_types, "fraud or scam"), "fraud");
	assert_string_equal(referral_choice_find(referral_incident_types, "FRAUD"), "fraud");
	assert_string_equal(referral_choice_find(referral_incident_types, "data-breach"),
			    "data_breach");
	assert_string_equal(referral_choice_find(referral_incident_types, "DDoS"), "ddos");
	assert_string_equal(referral_choice_find(referral_incident_types, "Data  breach"),
			    "data_breach");
	assert_string_equal(referral_choice_find(referral_incident_types, "databreach"),
			    "data_breach");
	assert_null(referral_choice_find(referral_incident_types, "fraud or"));
	assert_null(referral_choice_find(referral_incident_types, ""));
	assert_string_equal(referral_choice_find(referral_resolutions,
						 "referred to another agency"),
			    "referred");
	assert_string_equal(referral_choice_find(referral_resolutions, "no action"), "no_action");
	assert_true(referral_state_valid("in_progress"));
	assert_false(referral_state_valid("open"));
	assert_false(referral_state_valid("In_Progress"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_summary_limit),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
