/*
 * ctihub le: the LE referral queue from the command line, mirroring the
 * community bot's /lenew, /lereply, /leclose and /leopenlist. Every
 * subcommand acts as a hub user named with --as (or CTIHUB_USER), and the
 * same rules apply as over the API: src/workflow/referrals.c decides.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "model/referral.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "workflow/referral_json.h"
#include "workflow/referrals.h"

static const char le_help[] =
	"Usage: ctihub le SUBCOMMAND [ARGS] --as USER [OPTIONS]\n"
	"\n"
	"Works the law-enforcement referral queue as the hub user USER (or\n"
	"$CTIHUB_USER). Members open referrals and read their own; only users\n"
	"with role le list all of them and reply, assign, close and reopen.\n"
	"\n"
	"Subcommands:\n"
	"  new                        open a referral from the options below, or\n"
	"                             from a JSON body with --body FILE (- for stdin)\n"
	"  open-list                  list referrals (default: open ones)\n"
	"  show ID                    print a referral with its replies and history\n"
	"  reply ID TEXT              answer the reporter (--internal: LE only)\n"
	"  assign ID                  take a referral: --officer NAME, --agency TEXT\n"
	"  state ID STATE             set acknowledged or in_progress\n"
	"  close ID RESOLUTION [NOTE] close as actioned, referred, no_action or\n"
	"                             duplicate\n"
	"  reopen ID [REASON]         reopen a closed referral\n"
	"  attach ID FILE             add evidence; its SHA-256 is recorded\n"
	"\n"
	"Options for new:\n"
	"  --summary TEXT  --type TYPE  --objective OBJECTIVE  --tlp LEVEL\n"
	"  --details TEXT  --illegal TEXT  --victim-location TEXT\n"
	"  --suspect-location TEXT  --suspect-info TEXT  --documentation TEXT\n"
	"  --contact METHOD (LE may contact you this way)  --indicators TEXT\n"
	"  --report ID (repeatable)  --handle CHAT_HANDLE\n"
	"  Types: phishing, malware, ransomware, fraud, data_breach, intrusion,\n"
	"  ddos, disinformation, other. Objectives: takedown, investigation,\n"
	"  victim_notification, disruption, information_only.\n"
	"\n"
	"Options for open-list:\n"
	"  --state STATE     open (default), new, acknowledged, in_progress, closed, all\n"
	"  --type TYPE       --location TEXT (victim or suspect location)\n"
	"  --min-age DUR     --max-age DUR (such as 24h or 7d)\n"
	"  --new             only referrals opened since you last listed\n"
	"  --sort ORDER      newest (default), oldest, updated, unacknowledged\n"
	"  --limit N         at most N rows (default 50)\n"
	"\n"
	"Common options:\n"
	"  --as USER         act as this hub user (default $CTIHUB_USER)\n"
	"  --json            print JSON instead of text\n"
	"  --config PATH     configuration with the notification sinks\n"
	"  -h, --help        show this help\n";

enum {
	OPT_AS = 1,
	OPT_JSON,
	OPT_BODY,
	OPT_SUMMARY,
	OPT_TYPE,
	OPT_OBJECTIVE,
	OPT_TLP,
	OPT_DETAILS,
	OPT_ILLEGAL,
	OPT_VICTIM,
	OPT_SUSPECT_LOC,
	OPT_SUSPECT_INFO,
	OPT_DOCUMENTATION,
	OPT_CONTACT,
	OPT_INDICATORS,
	OPT_REPORT,
	OPT_HANDLE,
	OPT_STATE,
	OPT_LOCATION,
	OPT_MIN_AGE,
	OPT_MAX_AGE,
	OPT_NEW,
	OPT_SORT,
	OPT_LIMIT,
	OPT_INTERNAL,
	OPT_OFFICER,
	OPT_AGENCY,
	OPT_CONTENT_TYPE,
};

struct le_options {
	const char *as;
	bool json;
	const char *body_path;
	json_t *fields;   /* the form fields of `le new` */
	json_t *reports;
	const char *state, *type, *location, *min_age, *max_age, *sort;
	bool only_new;
	long limit;
	bool internal;
	const char *officer, *agency, *content_type;
};

/* Maps the options of `le new` to the JSON field names of the API. */
static const struct {
	int opt;
	const char *field;
} form_options[] = {
	{ OPT_SUMMARY, "summary" },
	{ OPT_OBJECTIVE, "objective" },
	{ OPT_TLP, "tlp" },
	{ OPT_DETAILS, "details" },
	{ OPT_ILLEGAL, "illegal_reason" },
	{ OPT_VICTIM, "victim_location" },
	{ OPT_SUSPECT_LOC, "suspect_location" },
	{ OPT_SUSPECT_INFO, "suspect_info" },
	{ OPT_DOCUMENTATION, "documentation" },
	{ OPT_INDICATORS, "indicators" },
	{ OPT_HANDLE, "reporter_handle" },
};

static int parse(int argc, char **argv, struct le_options *o)
{
	static const struct option options[] = {
		{ "as", required_argument, NULL, OPT_AS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "body", required_argument, NULL, OPT_BODY },
		{ "summary", required_argument, NULL, OPT_SUMMARY },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "objective", required_argument, NULL, OPT_OBJECTIVE },
		{ "tlp", required_argument, NULL, OPT_TLP },
		{ "details", required_argument, NULL, OPT_DETAILS },
		{ "illegal", required_argument, NULL, OPT_ILLEGAL },
		{ "victim-location", required_argument, NULL, OPT_VICTIM },
		{ "suspect-location", required_argument, NULL, OPT_SUSPECT_LOC },
		{ "suspect-info", required_argument, NULL, OPT_SUSPECT_INFO },
		{ "documentation", required_argument, NULL, OPT_DOCUMENTATION },
		{ "contact", required_argument, NULL, OPT_CONTACT },
		{ "indicators", required_argument, NULL, OPT_INDICATORS },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "handle", required_argument, NULL, OPT_HANDLE },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "location", required_argument, NULL, OPT_LOCATION },
		{ "min-age", required_argument, NULL, OPT_MIN_AGE },
		{ "max-age", required_argument, NULL, OPT_MAX_AGE },
		{ "new", no_argument, NULL, OPT_NEW },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "internal", no_argument, NULL, OPT_INTERNAL },
		{ "officer", required_argument, NULL, OPT_OFFICER },
		{ "agency", required_argument, NULL, OPT_AGENCY },
		{ "content-type", required_argument, NULL, OPT_CONTENT_TYPE },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	long n;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		for (size_t i = 0; i < sizeof(form_options) / sizeof(form_options[0]); i++) {
			if (form_options[i].opt == opt)
				json_object_set_new(o->fields, form_options[i].field,
						    json_string(optarg));
		}
		switch (opt) {
		case 'h':
			fputs(le_help, stdout);
			return -1;
		case OPT_AS: o->as = optarg; break;
		case OPT_JSON: o->json = true; break;
		case OPT_BODY: o->body_path = optarg; break;
		case OPT_TYPE:
			o->type = optarg;
			json_object_set_new(o->fields, "incident_type", json_string(optarg));
			break;
		case OPT_CONTACT:
			json_object_set_new(o->fields, "contact_allowed", json_true());
			json_object_set_new(o->fields, "contact_method", json_string(optarg));
			break;
		case OPT_REPORT:
			if (!cli_parse_long(optarg, 1, LONG_MAX, &n))
				return cli_usage_error("le", "invalid --report '%s': give a report id",
						       optarg);
			json_array_append_new(o->reports, json_integer(n));
			break;
		case OPT_STATE: o->state = optarg; break;
		case OPT_LOCATION: o->location = optarg; break;
		case OPT_MIN_AGE: o->min_age = optarg; break;
		case OPT_MAX_AGE: o->max_age = optarg; break;
		case OPT_NEW: o->only_new = true; break;
		case OPT_SORT: o->sort = optarg; break;
		case OPT_LIMIT:
			if (!cli_parse_long(optarg, 1, 500, &o->limit))
				return cli_usage_error("le", "invalid --limit '%s': use 1 to 500",
						       optarg);
			break;
		case OPT_INTERNAL: o->internal = true; break;
		case OPT_OFFICER: o->officer = optarg; break;
		case OPT_AGENCY: o->agency = optarg; break;
		case OPT_CONTENT_TYPE: o->content_type = optarg; break;
		case '?':
			return cli_usage_error("le", "invalid option");
		default:
			break;
		}
	}
	if (json_array_size(o->reports))
		json_object_set(o->fields, "reports", o->reports);
	return 0;
}

/* Reads a whole file (or stdin for "-") up to max bytes. */
static enum ch_code read_file(const char *path, size_t max, struct buf *out, struct ch_error *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!f)
		return ch_fail(err, CH_IO, "cannot open '%s'; check the path", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > max) {
			if (f != stdin)
				fclose(f);
			return ch_fail(err, CH_TOO_LARGE, "'%s' is larger than %zu bytes", path, max);
		}
		buf_append(out, chunk, n);
	}
	if (f != stdin)
		fclose(f);
	return CH_OK;
}

static enum ch_code find_principal(struct store *st, const char *name, struct principal *who,
				   struct ch_error *err)
{
	struct store_user user = { 0 };
	enum ch_code rc;

	if (!name || !*name)
		return ch_fail(err, CH_USAGE, "name the hub user to act as with --as USER or "
					      "CTIHUB_USER");
	rc = store_user_find(st, name, &user, err);
	if (rc == CH_NOT_FOUND)
		return ch_fail(err, CH_USAGE, "user '%s' not found; see 'ctihub user list'", name);
	if (rc != CH_OK)
		return rc;
	memset(who, 0, sizeof(*who));
	who->authenticated = true;
	who->user_id = user.id;
	who->org_id = user.org_id;
	who->role = user.role;
	snprintf(who->user_name, sizeof(who->user_name), "%s", user.name);
	store_user_free(&user);
	return CH_OK;
}

static void print_age(int64_t seconds)
{
	if (seconds < 3600)
		printf("%4lldm", (long long)(seconds / 60));
	else if (seconds < 86400 * 2)
		printf("%4lldh", (long long)(seconds / 3600));
	else
		printf("%4lldd", (long long)(seconds / 86400));
}

/* Prints text from a referral so that it cannot pass for other output:
 * continuation lines are indented, and control characters other than tab
 * become '?'. */
static void print_text(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
		if (*p == '\n')
			fputs("\n      ", stdout);
		else if (*p == '\r')
			continue;
		else if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			putchar('?');
		else
			putchar(*p);
	}
}

static void print_view(const struct store_referral_view *v)
{
	const struct store_referral *r = &v->referral;
	char when[TIME_ISO_MAX];

	time_format_iso(r->created, when, sizeof(when));
	printf("%s  %s  TLP:%s  ", r->ref, r->state, tlp_name(r->tlp));
	print_text(r->summary);
	putchar('\n');
	printf("  type %s, objective %s, opened %s by %s%s%s%s\n", r->incident_type, r->objective,
	       when, r->reporter, r->reporter_handle ? " (" : "",
	       r->reporter_handle ? r->reporter_handle : "", r->reporter_handle ? ")" : "");
	if (r->resolution)
		printf("  resolution: %s\n", r->resolution);
	if (r->assignee || r->assignee_agency)
		printf("  assigned to %s%s%s\n", r->assignee ? r->assignee : "",
		       r->assignee && r->assignee_agency ? ", " : "",
		       r->assignee_agency ? r->assignee_agency : "");
#define FIELD(label, value)                                   \
	do {                                                  \
		if (value) {                                  \
			printf("  %s: ", label);              \
			print_text(value);                    \
			putchar('\n');                        \
		}                                             \
	} while (0)
	FIELD("details", r->details);
	FIELD("why illegal", r->illegal_reason);
	FIELD("victim location", r->victim_location);
	FIELD("suspect location", r->suspect_location);
	FIELD("suspect", r->suspect_info);
	FIELD("documentation", r->documentation);
#undef FIELD
	printf("  LE may contact the reporter: %s%s", r->contact_allowed ? "yes" : "no",
	       r->contact_method ? ", " : "");
	print_text(r->contact_method);
	putchar('\n');
	for (size_t i = 0; i < r->indicator_count; i++)
		printf("  indicator %s %s\n", ioc_type_name(r->indicators[i].type),
		       r->indicators[i].value);
	for (size_t i = 0; i < r->report_count; i++)
		printf("  report %lld\n", (long long)r->report_ids[i]);
	for (size_t i = 0; i < v->attachment_count; i++)
		printf("  attachment %lld %s (%lld bytes, sha256 %s, by %s)\n",
		       (long long)v->attachments[i].id, v->attachments[i].name,
		       (long long)v->attachments[i].size, v->attachments[i].sha256,
		       v->attachments[i].uploader);
	for (size_t i = 0; i < v->reply_count; i++) {
		time_format_iso(v->replies[i].created, when, sizeof(when));
		printf("  reply %s %s%s: ", when, v->replies[i].author,
		       v->replies[i].internal ? " (internal)" : "");
		print_text(v->replies[i].body);
		putchar('\n');
	}
	for (size_t i = 0; i < v->event_count; i++) {
		const struct store_referral_event *e = &v->events[i];

		time_format_iso(e->time, when, sizeof(when));
		printf("  history %s %s %s%s%s%s", when, e->actor, e->action,
		       e->to_state ? " -> " : "", e->to_state ? e->to_state : "",
		       e->detail ? ": " : "");
		print_text(e->detail);
		putchar('\n');
	}
}

static int print_result(const struct le_options *o, struct store_referral_view *v)
{
	if (o->json) {
		json_t *obj = referral_json(v, time_now());

		json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(obj);
	} else {
		print_view(v);
	}
	store_referral_view_free(v);
	return 0;
}

static enum ch_code run_new(const struct workflow *w, struct le_options *o,
			    struct store_referral_view *v, struct ch_error *err)
{
	struct referral_input in = { 0 };
	json_t *body = o->fields;
	struct buf text;
	enum ch_code rc = CH_OK;

	buf_init(&text, 4096);
	if (o->body_path) {
		json_error_t jerr;

		if (json_object_size(o->fields)) {
			buf_free(&text);
			return ch_fail(err, CH_USAGE, "give the referral either with --body or with "
						      "options, not both");
		}
		rc = read_file(o->body_path, 1024 * 1024, &text, err);
		if (rc == CH_OK) {
			body = json_loadb(text.data ? text.data : "", text.len, JSON_REJECT_DUPLICATES,
					  &jerr);
			if (!body)
				rc = ch_fail(err, CH_INVALID, "%s: invalid JSON at line %d: %s",
					     o->body_path, jerr.line, jerr.text);
		}
	}
	if (rc == CH_OK)
		rc = referral_validate(body, NULL, &in, err);
	if (rc == CH_OK)
		rc = workflow_referral_open(w, &in, v, err);
	if (rc == CH_OK && !o->json)
		printf("opened %s\n", v->referral.ref);
	for (size_t i = 0; rc == CH_OK && i < json_array_size(in.notes); i++)
		fprintf(stderr, "note: %s\n", json_string_value(json_array_get(in.notes, i)));
	referral_input_free(&in);
	if (body != o->fields)
		json_decref(body);
	buf_free(&text);
	return rc;
}

static enum ch_code run_list(const struct workflow *w, const struct le_options *o,
			     struct ch_error *err)
{
	static const char *const sorts[] = { "newest", "oldest", "updated", "unacknowledged",
					     NULL };
	struct store_referral_filter f = { 0 };
	struct store_referral_list list = { 0 };
	int64_t now = time_now(), d;
	enum ch_code rc;

	f.state = o->state ? o->state : "open";
	if (strcmp(f.state, "all") == 0)
		f.state = NULL;
	else if (strcmp(f.state, "open") != 0 && !referral_state_valid(f.state))
		return ch_fail(err, CH_USAGE, "invalid --state '%s': use open, new, acknowledged, "
					      "in_progress, closed or all", f.state);
	if (o->type && !(f.incident_type = referral_choice_find(referral_incident_types, o->type)))
		return ch_fail(err, CH_USAGE, "invalid --type '%s'; see 'ctihub le --help'", o->type);
	f.location = o->location;
	if (o->min_age) {
		if (time_parse_duration(o->min_age, &d, err) != CH_OK)
			return CH_USAGE;
		f.created_before = now - d;
	}
	if (o->max_age) {
		if (time_parse_duration(o->max_age, &d, err) != CH_OK)
			return CH_USAGE;
		f.created_after = now - d;
	}
	if (o->sort) {
		int i = 0;

		while (sorts[i] && strcmp(sorts[i], o->sort) != 0)
			i++;
		if (!sorts[i])
			return ch_fail(err, CH_USAGE, "invalid --sort '%s': use newest, oldest, "
						      "updated or unacknowledged", o->sort);
		f.sort = (enum store_referral_sort)i;
	}
	f.only_unseen = o->only_new;
	f.limit = o->limit > 0 ? (size_t)o->limit : 50;
	rc = workflow_referral_list(w, &f, true, &list, err);
	if (rc != CH_OK)
		return rc;

	if (o->json) {
		json_t *items = json_array();

		for (size_t i = 0; i < list.count; i++)
			json_array_append_new(items, referral_list_item_json(&list.items[i], now));
		json_t *reply = json_pack("{s:o, s:I, s:I}", "referrals", items, "total",
					  (json_int_t)list.total, "new", (json_int_t)list.unseen);

		json_dumpf(reply, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(reply);
	} else {
		printf("%lld referral%s, %lld new since your last look\n", (long long)list.total,
		       list.total == 1 ? "" : "s", (long long)list.unseen);
		for (size_t i = 0; i < list.count; i++) {
			const struct store_referral *r = &list.items[i];

			printf("%s %-14s %-12s %-14s age", r->unseen ? "*" : " ", r->ref, r->state,
			       r->incident_type);
			print_age(now - r->created);
			fputs("  ", stdout);
			print_text(r->summary);
			putchar('\n');
		}
	}
	store_referral_list_free(&list);
	return CH_OK;
}

static enum ch_code run_attach(const struct workflow *w, const struct le_options *o,
			       const char *key, const char *path, struct ch_error *err)
{
	struct store_referral_attachment a = { 0 };
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct buf data;
	enum ch_code rc;

	struct stat sb;

	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return ch_fail(err, CH_IO, "'%s' is not a readable file; give the path of the "
					   "evidence file", path);
	if (sb.st_size == 0)
		return ch_fail(err, CH_INVALID, "'%s' is empty; there is nothing to attach", path);
	if ((uint64_t)sb.st_size > REFERRAL_ATTACHMENT_MAX)
		return ch_fail(err, CH_TOO_LARGE, "'%s' is %lld bytes, more than the %zu allowed",
			       path, (long long)sb.st_size, REFERRAL_ATTACHMENT_MAX);
	buf_init(&data, REFERRAL_ATTACHMENT_MAX);
	rc = read_file(path, REFERRAL_ATTACHMENT_MAX, &data, err);
	if (rc == CH_OK)
		rc = workflow_referral_attach(w, key, name,
					      o->content_type ? o->content_type
							      : "application/octet-stream",
					      data.data ? data.data : "", data.len, &a, err);
	if (rc == CH_OK)
		printf("attachment %lld %s: %lld bytes, sha256 %s\n", (long long)a.id, a.name,
		       (long long)a.size, a.sha256);
	store_referral_attachment_free(&a);
	buf_free(&data);
	return rc;
}

static void wake_nobody(void *ctx)
{
	(void)ctx;
}

int cmd_le(int argc, char **argv)
{
	struct le_options o = { 0 };
	struct notify_config notify = { 0 };
	struct store_referral_view v = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w = { 0 };
	struct store *st = NULL;
	const char *sub, *key = NULL;
	char **args;
	int nargs, status;
	enum ch_code rc = CH_OK;

	o.fields = json_object();
	o.reports = json_array();
	status = parse(argc, argv, &o);
	if (status != 0)
		goto out;
	status = 0;
	if (optind >= argc) {
		status = cli_usage_error("le", "name a subcommand: new, open-list, show, reply, "
					       "assign, state, close, reopen or attach");
		goto out;
	}
	sub = argv[optind];
	args = argv + optind + 1;
	nargs = argc - optind - 1;
	if (strcmp(sub, "new") != 0 && strcmp(sub, "open-list") != 0) {
		if (nargs < 1) {
			status = cli_usage_error("le", "'le %s' needs a referral id such as LE-2026-0001",
						 sub);
			goto out;
		}
		key = args[0];
	}
	if (!o.as)
		o.as = getenv("CTIHUB_USER");

	status = cli_load_notify(&notify);
	if (status == 0)
		status = cli_open_store(&st);
	if (status != 0)
		goto out;
	rc = find_principal(st, o.as, &who, &err);
	if (rc != CH_OK)
		goto done;
	w.st = st;
	w.notify = &notify;
	w.who = &who;
	w.client = "cli";
	w.queued = wake_nobody;

	if (strcmp(sub, "new") == 0 && nargs == 0) {
		rc = run_new(&w, &o, &v, &err);
	} else if (strcmp(sub, "open-list") == 0 && nargs == 0) {
		rc = run_list(&w, &o, &err);
	} else if (strcmp(sub, "show") == 0 && nargs == 1) {
		rc = workflow_referral_show(&w, key, &v, &err);
	} else if (strcmp(sub, "reply") == 0 && nargs >= 2) {
		struct buf text;

		buf_init(&text, REFERRAL_REPLY_MAX + 1);
		for (int i = 1; i < nargs; i++)
			buf_printf(&text, "%s%s", i > 1 ? " " : "", args[i]);
		if (text.len > REFERRAL_REPLY_MAX)
			rc = ch_fail(&err, CH_TOO_LARGE, "the reply is longer than %d bytes",
				     REFERRAL_REPLY_MAX);
		else
			rc = workflow_referral_reply(&w, key, text.data, o.internal, &v, &err);
		buf_free(&text);
	} else if (strcmp(sub, "assign") == 0 && nargs == 1) {
		rc = workflow_referral_assign(&w, key, o.officer, o.agency, &v, &err);
	} else if (strcmp(sub, "state") == 0 && nargs == 2) {
		rc = workflow_referral_set_state(&w, key, args[1], &v, &err);
	} else if (strcmp(sub, "close") == 0 && (nargs == 2 || nargs == 3)) {
		rc = workflow_referral_close(&w, key, args[1], nargs == 3 ? args[2] : NULL, &v, &err);
	} else if (strcmp(sub, "reopen") == 0 && (nargs == 1 || nargs == 2)) {
		rc = workflow_referral_reopen(&w, key, nargs == 2 ? args[1] : NULL, &v, &err);
	} else if (strcmp(sub, "attach") == 0 && nargs == 2) {
		rc = run_attach(&w, &o, key, args[1], &err);
	} else {
		status = cli_usage_error("le", "unknown subcommand or wrong arguments: 'le %s'", sub);
		goto out;
	}
	if (rc == CH_OK && notify.sink_count == 0 && strcmp(sub, "show") != 0 &&
	    strcmp(sub, "open-list") != 0 && strcmp(sub, "attach") != 0)
		fprintf(stderr, "note: no notification sinks are configured (--config or "
				"CTIHUB_CONFIG), so nobody was notified\n");
	if (rc == CH_OK && v.referral.id && (strcmp(sub, "new") != 0 || o.json))
		status = print_result(&o, &v);
	else
		store_referral_view_free(&v);
done:
	if (rc != CH_OK)
		status = cli_fail(rc, &err);
out:
	store_close(st);
	notify_config_free(&notify);
	json_decref(o.fields);
	json_decref(o.reports);
	return status < 0 ? 0 : status;
}
