/*
 * The forms as a Slack modal (a view object for views.open, built from
 * Block Kit input blocks) and as a Mattermost interactive dialog. Each
 * field becomes one input whose id is the field name: the block_id and
 * action_id of a Slack input block, the name of a Mattermost element. A
 * submission therefore arrives keyed by field name, and an error for a
 * field can be shown under it on either platform.
 *
 * Limits come from the platforms' documentation: a Slack modal title and
 * button texts take at most 24 characters, a plain_text_input at most
 * 3000 and an option text at most 75. A Mattermost "text" element takes
 * 150 characters unless max_length sets another limit, a "textarea" 3000.
 */
#include "chat/forms.h"

/* Slack's plain_text_input maximum, in characters. */
#define SLACK_INPUT_MAX 3000
/* Mattermost's lengths when max_length is not given, in characters. */
#define MATTERMOST_TEXT_MAX 150
#define MATTERMOST_TEXTAREA_MAX 3000

static json_t *plain_text(const char *text)
{
	return json_pack("{s:s, s:s}", "type", "plain_text", "text", text);
}

static const char *option_label(const struct chat_field *field, size_t i)
{
	return field->option_labels ? field->option_labels[i] : field->options[i];
}

static json_t *slack_options(const struct chat_field *field)
{
	json_t *options = json_array();

	for (size_t i = 0; field->options && field->options[i]; i++)
		json_array_append_new(options,
				      json_pack("{s:o, s:s}", "text",
						plain_text(option_label(field, i)), "value",
						field->options[i]));
	return options;
}

static json_t *slack_element(const struct chat_field *field)
{
	json_t *element;
	size_t max = field->max_length;

	if (field->type == CHAT_FIELD_SELECT || field->type == CHAT_FIELD_BOOL) {
		element = json_pack("{s:s, s:s, s:o}", "type", "static_select", "action_id",
				    field->name, "options", slack_options(field));
		json_object_set_new(element, "placeholder", plain_text("Choose"));
		return element;
	}

	element = json_pack("{s:s, s:s}", "type", "plain_text_input", "action_id", field->name);
	if (field->type == CHAT_FIELD_TEXTAREA)
		json_object_set_new(element, "multiline", json_true());
	/* NOTE: a rule or indicator list over 3000 characters does not fit a
	 * modal; it can go through POST /api/v1/reports instead. */
	if (max == 0 || max > SLACK_INPUT_MAX)
		max = SLACK_INPUT_MAX;
	json_object_set_new(element, "max_length", json_integer((json_int_t)max));
	return element;
}

json_t *chat_form_slack_view(const struct chat_form_def *form)
{
	json_t *blocks = json_array();

	for (size_t i = 0; i < form->field_count; i++) {
		const struct chat_field *field = &form->fields[i];
		json_t *block = json_pack("{s:s, s:s, s:o, s:o, s:b}", "type", "input", "block_id",
					  field->name, "label", plain_text(field->label), "element",
					  slack_element(field), "optional", !field->required);

		if (field->hint)
			json_object_set_new(block, "hint", plain_text(field->hint));
		json_array_append_new(blocks, block);
	}

	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "type", "modal", "callback_id",
			 form->callback_id, "title", plain_text(form->title), "submit",
			 plain_text("Submit"), "close", plain_text("Cancel"), "blocks", blocks);
}

static json_t *mattermost_element(const struct chat_field *field)
{
	static const char *const types[] = {
		[CHAT_FIELD_TEXT] = "text",
		[CHAT_FIELD_TEXTAREA] = "textarea",
		[CHAT_FIELD_SELECT] = "select",
		[CHAT_FIELD_BOOL] = "bool",
	};
	json_t *element = json_pack("{s:s, s:s, s:s, s:b}", "display_name", field->label, "name",
				    field->name, "type", types[field->type], "optional",
				    !field->required);
	size_t max = field->max_length;

	if (field->hint)
		json_object_set_new(element, "help_text", json_string(field->hint));

	if (field->type == CHAT_FIELD_SELECT) {
		json_t *options = json_array();

		for (size_t i = 0; field->options[i]; i++)
			json_array_append_new(options, json_pack("{s:s, s:s}", "text",
								 option_label(field, i), "value",
								 field->options[i]));
		json_object_set_new(element, "options", options);
	} else if (field->type == CHAT_FIELD_BOOL) {
		/* A bool element shows its placeholder beside the checkbox. */
		json_object_set_new(element, "placeholder", json_string(field->label));
	} else {
		if (max == 0)
			max = field->type == CHAT_FIELD_TEXT ? MATTERMOST_TEXT_MAX
							     : MATTERMOST_TEXTAREA_MAX;
		json_object_set_new(element, "max_length", json_integer((json_int_t)max));
	}
	return element;
}

json_t *chat_form_mattermost_dialog(const struct chat_form_def *form)
{
	json_t *elements = json_array();

	for (size_t i = 0; i < form->field_count; i++)
		json_array_append_new(elements, mattermost_element(&form->fields[i]));

	return json_pack("{s:s, s:s, s:s, s:b, s:o}", "callback_id", form->callback_id, "title",
			 form->title, "submit_label", "Submit", "notify_on_cancel", 0, "elements",
			 elements);
}
