"""Chat templates for tests/fixtures/jinja (imported by llm_fixtures.py).

Benign templates are written from public knowledge of each model family's
chat format (they use loops, conditionals, raise_exception, strftime_now and
namespace() for loop state, like the originals). Malicious ones are
CVE-2024-34359-style payloads whose command is the harmless marker
`echo MATS-TEST-MARKER`. Nothing here is ever rendered.
"""

BENIGN = {
    "llama2.jinja": (
        "{% if messages[0]['role'] == 'system' %}"
        "{% set loop_messages = messages[1:] %}"
        "{% set system_message = messages[0]['content'] %}"
        "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
        "{% for message in loop_messages %}"
        "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
        "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
        "{% endif %}"
        "{% if loop.index0 == 0 and system_message != false %}"
        "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
        "{% else %}{% set content = message['content'] %}{% endif %}"
        "{% if message['role'] == 'user' %}"
        "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
        "{% elif message['role'] == 'assistant' %}"
        "{{ ' '  + content.strip() + ' ' + eos_token }}"
        "{% endif %}{% endfor %}"
    ),
    "llama3.jinja": (
        "{% set loop_messages = messages %}"
        "{% for message in loop_messages %}"
        "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
        "+ message['content'] | trim + '<|eot_id|>' %}"
        "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
        "{{ content }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
    ),
    "llama31_tools.jinja": (
        "{{- bos_token }}\n"
        "{%- if custom_tools is defined %}\n    {%- set tools = custom_tools %}\n{%- endif %}\n"
        "{%- if not tools_in_user_message is defined %}\n    {%- set tools_in_user_message = true %}\n{%- endif %}\n"
        "{%- if not date_string is defined %}\n"
        "    {%- if strftime_now is defined %}\n"
        "        {%- set date_string = strftime_now(\"%d %b %Y\") %}\n"
        "    {%- else %}\n        {%- set date_string = \"26 Jul 2024\" %}\n    {%- endif %}\n"
        "{%- endif %}\n"
        "{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n"
        "{#- This block extracts the system message, so we can slot it into the right place. #}\n"
        "{%- if messages[0]['role'] == 'system' %}\n"
        "    {%- set system_message = messages[0]['content']|trim %}\n"
        "    {%- set messages = messages[1:] %}\n"
        "{%- else %}\n    {%- set system_message = \"\" %}\n{%- endif %}\n"
        "{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n"
        "{%- if builtin_tools is defined or tools is not none %}\n"
        "    {{- \"Environment: ipython\\n\" }}\n{%- endif %}\n"
        "{%- if builtin_tools is defined %}\n"
        "    {{- \"Tools: \" + builtin_tools | reject('equalto', 'code_interpreter') | join(\", \") + \"\\n\\n\"}}\n"
        "{%- endif %}\n"
        "{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n"
        "{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n"
        "{%- if tools is not none and not tools_in_user_message %}\n"
        "    {%- for t in tools %}\n        {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n    {%- endfor %}\n"
        "{%- endif %}\n"
        "{{- system_message }}\n{{- \"<|eot_id|>\" }}\n"
        "{%- for message in messages %}\n"
        "    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}\n"
        "        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n"
        "    {%- elif 'tool_calls' in message %}\n"
        "        {%- if not message.tool_calls|length == 1 %}\n"
        "            {{- raise_exception(\"This model only supports single tool-calls at once!\") }}\n"
        "        {%- endif %}\n"
        "        {%- set tool_call = message.tool_calls[0].function %}\n"
        "        {%- if builtin_tools is defined and tool_call.name in builtin_tools %}\n"
        "            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n"
        "            {{- \"<|python_tag|>\" + tool_call.name + \".call(\" }}\n"
        "            {%- for arg_name, arg_val in tool_call.arguments | items %}\n"
        "                {{- arg_name + '=\"' + arg_val + '\"' }}\n"
        "                {%- if not loop.last %}\n                    {{- \", \" }}\n                {%- endif %}\n"
        "            {%- endfor %}\n            {{- \")\" }}\n"
        "        {%- else  %}\n"
        "            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n"
        "            {{- '{\"name\": \"' + tool_call.name + '\", ' }}\n"
        "            {{- '\"parameters\": ' }}\n            {{- tool_call.arguments | tojson }}\n            {{- \"}\" }}\n"
        "        {%- endif %}\n"
        "        {%- if builtin_tools is defined %}\n            {{- \"<|eom_id|>\" }}\n"
        "        {%- else %}\n            {{- \"<|eot_id|>\" }}\n        {%- endif %}\n"
        "    {%- elif message.role == \"tool\" or message.role == \"ipython\" %}\n"
        "        {{- \"<|start_header_id|>ipython<|end_header_id|>\\n\\n\" }}\n"
        "        {%- if message.content is mapping or message.content is iterable %}\n"
        "            {{- message.content | tojson }}\n"
        "        {%- else %}\n            {{- message.content }}\n        {%- endif %}\n"
        "        {{- \"<|eot_id|>\" }}\n"
        "    {%- endif %}\n{%- endfor %}\n"
        "{%- if add_generation_prompt %}\n"
        "    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}\n"
    ),
    "chatml.jinja": (
        "{% for message in messages %}"
        "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
        "{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    ),
    "mistral.jinja": (
        "{%- if messages[0]['role'] == 'system' %}\n"
        "    {%- set system_message = messages[0]['content'] %}\n"
        "    {%- set loop_messages = messages[1:] %}\n"
        "{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n\n"
        "{{- bos_token }}\n"
        "{%- for message in loop_messages %}\n"
        "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n"
        "        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n"
        "    {%- endif %}\n"
        "    {%- if message['role'] == 'user' %}\n"
        "        {%- if loop.first and system_message is defined %}\n"
        "            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n"
        "        {%- else %}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n"
        "    {%- elif message['role'] == 'assistant' %}\n"
        "        {{- ' ' + message['content'] + eos_token}}\n"
        "    {%- else %}\n"
        "        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n"
        "    {%- endif %}\n{%- endfor %}\n"
    ),
    "gemma.jinja": (
        "{{ bos_token }}"
        "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
        "{% for message in messages %}"
        "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
        "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
        "{% endif %}"
        "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
        "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"
        "{% endfor %}"
        "{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}"
    ),
    "qwen2.jinja": (
        "{%- if tools %}\n"
        "    {{- '<|im_start|>system\\n' }}\n"
        "    {%- if messages[0]['role'] == 'system' %}\n"
        "        {{- messages[0]['content'] }}\n"
        "    {%- else %}\n"
        "        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n"
        "    {%- endif %}\n"
        "    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>\" }}\n"
        "    {%- for tool in tools %}\n        {{- \"\\n\" }}\n        {{- tool | tojson }}\n    {%- endfor %}\n"
        "    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" }}\n"
        "{%- else %}\n"
        "    {%- if messages[0]['role'] == 'system' %}\n"
        "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
        "    {%- else %}\n"
        "        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n"
        "    {%- endif %}\n"
        "{%- endif %}\n"
        "{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}\n"
        "{%- for message in messages[::-1] %}\n"
        "    {%- set index = (messages|length - 1) - loop.index0 %}\n"
        "    {%- if ns.multi_step_tool and message.role == \"user\" and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}\n"
        "        {%- set ns.multi_step_tool = false %}\n"
        "        {%- set ns.last_query_index = index %}\n"
        "    {%- endif %}\n"
        "{%- endfor %}\n"
        "{%- for message in messages %}\n"
        "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\" and not message.tool_calls) %}\n"
        "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
        "    {%- elif message.role == \"assistant\" %}\n"
        "        {{- '<|im_start|>' + message.role }}\n"
        "        {%- if message.content %}\n            {{- '\\n' + message.content }}\n        {%- endif %}\n"
        "        {%- for tool_call in message.tool_calls %}\n"
        "            {%- if tool_call.function is defined %}\n                {%- set tool_call = tool_call.function %}\n            {%- endif %}\n"
        "            {{- '\\n<tool_call>\\n{\"name\": \"' }}\n"
        "            {{- tool_call.name }}\n            {{- '\", \"arguments\": ' }}\n"
        "            {{- tool_call.arguments | tojson }}\n            {{- '}\\n</tool_call>' }}\n"
        "        {%- endfor %}\n        {{- '<|im_end|>\\n' }}\n"
        "    {%- elif message.role == \"tool\" %}\n"
        "        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != \"tool\") %}\n"
        "            {{- '<|im_start|>user' }}\n        {%- endif %}\n"
        "        {{- '\\n<tool_response>\\n' }}\n        {{- message.content }}\n        {{- '\\n</tool_response>' }}\n"
        "        {%- if loop.last or (messages[loop.index0 + 1].role != \"tool\") %}\n"
        "            {{- '<|im_end|>\\n' }}\n        {%- endif %}\n"
        "    {%- endif %}\n{%- endfor %}\n"
        "{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n"
    ),
    "phi3.jinja": (
        "{% for message in messages %}"
        "{% if message['role'] == 'system' %}{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}"
        "{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}"
        "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}"
        "{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}"
    ),
    "deepseek.jinja": (
        "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
        "{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}"
        "{%- for message in messages %}"
        "{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}"
        "{%- endfor %}"
        "{{bos_token}}{{ns.system_prompt}}"
        "{%- for message in messages %}"
        "{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<\uff5cUser\uff5c>' + message['content']}}{%- endif %}"
        "{%- if message['role'] == 'assistant' and message['content'] is none %}"
        "{%- set ns.is_tool = false -%}"
        "{%- for tool in message['tool_calls']%}"
        "{%- if not ns.is_first %}"
        "{{'<\uff5cAssistant\uff5c><\uff5ctool\u2581calls\u2581begin\uff5c><\uff5ctool\u2581call\u2581begin\uff5c>' + tool['type'] + '<\uff5ctool\u2581sep\uff5c>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<\uff5ctool\u2581call\u2581end\uff5c>'}}"
        "{%- set ns.is_first = true -%}"
        "{%- else %}"
        "{{'\\n' + '<\uff5ctool\u2581call\u2581begin\uff5c>' + tool['type'] + '<\uff5ctool\u2581sep\uff5c>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<\uff5ctool\u2581call\u2581end\uff5c>'}}"
        "{{'<\uff5ctool\u2581calls\u2581end\uff5c><\uff5cend\u2581of\u2581sentence\uff5c>'}}"
        "{%- endif %}"
        "{%- endfor %}"
        "{%- endif %}"
        "{%- if message['role'] == 'assistant' and message['content'] is not none %}"
        "{%- set content = message['content'] -%}"
        "{%- if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}"
        "{{'<\uff5cAssistant\uff5c>' + content + '<\uff5cend\u2581of\u2581sentence\uff5c>'}}"
        "{%- endif %}"
        "{%- endfor -%}"
        "{% if add_generation_prompt %}{{'<\uff5cAssistant\uff5c><think>\\n'}}{% endif %}"
    ),
    "zephyr.jinja": (
        "{% for message in messages %}\n"
        "{% if message['role'] == 'user' %}\n{{ '<|user|>\\n' + message['content'] + eos_token }}\n"
        "{% elif message['role'] == 'system' %}\n{{ '<|system|>\\n' + message['content'] + eos_token }}\n"
        "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n"
        "{% endif %}\n"
        "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n"
        "{% endfor %}"
    ),
    "gemma3_multimodal.jinja": (
        "{{ bos_token }}\n"
        "{%- if messages[0]['role'] == 'system' -%}\n"
        "    {%- if messages[0]['content'] is string -%}\n"
        "        {%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}\n"
        "    {%- else -%}\n"
        "        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}\n"
        "    {%- endif -%}\n"
        "    {%- set loop_messages = messages[1:] -%}\n"
        "{%- else -%}\n    {%- set first_user_prefix = \"\" -%}\n    {%- set loop_messages = messages -%}\n{%- endif -%}\n"
        "{%- for message in loop_messages -%}\n"
        "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n"
        "        {{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}\n"
        "    {%- endif -%}\n"
        "    {%- if (message['role'] == 'assistant') -%}{%- set role = \"model\" -%}"
        "{%- else -%}{%- set role = message['role'] -%}{%- endif -%}\n"
        "    {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else \"\") }}\n"
        "    {%- if message['content'] is string -%}\n        {{ message['content'] | trim }}\n"
        "    {%- elif message['content'] is iterable -%}\n"
        "        {%- for item in message['content'] -%}\n"
        "            {%- if item['type'] == 'image' -%}\n                {{ '<start_of_image>' }}\n"
        "            {%- elif item['type'] == 'text' -%}\n                {{ item['text'] | trim }}\n"
        "            {%- endif -%}\n        {%- endfor -%}\n"
        "    {%- else -%}\n        {{ raise_exception(\"Invalid content type\") }}\n    {%- endif -%}\n"
        "    {{ '<end_of_turn>\\n' }}\n{%- endfor -%}\n"
        "{%- if add_generation_prompt -%}\n    {{'<start_of_turn>model\\n'}}\n{%- endif -%}\n"
    ),
    "raw_and_macros.jinja": (
        "{#- A template with macros, raw blocks, filters, tests and whitespace control. -#}\n"
        "{%- macro render_content(content, sep='\\n') -%}\n"
        "  {%- if content is string -%}{{ content }}"
        "  {%- else -%}{%- for part in content if part.type == 'text' -%}"
        "{{ part.text }}{{ sep if not loop.last }}{%- endfor -%}{%- endif -%}\n"
        "{%- endmacro -%}\n"
        "{%- raw %}{{ literal braces }}{% endraw -%}\n"
        "{%- set ns = namespace(found=false, count=0) -%}\n"
        "{%- for m in messages | selectattr('role', 'equalto', 'user') -%}"
        "{%- set ns.count = ns.count + 1 -%}{%- endfor -%}\n"
        "{%- for message in messages -%}\n"
        "{{ '<|' ~ message.role ~ '|>' }}{{ render_content(message.content) }}"
        "{%- if message.role == 'assistant' and message.tool_calls is defined -%}"
        "{%- for call in message.tool_calls -%}{{ call.function.name }}"
        "({{ call.function.arguments | tojson }}){%- endfor -%}{%- endif -%}\n"
        "{%- if loop.index is divisibleby 2 %}{{ '\\n' }}{% endif -%}\n"
        "{%- endfor -%}\n"
        "{{ messages | map(attribute='role') | join(',') }}{{ ns.count | string }}"
        "{{ '%d messages' | format(messages | length) }}{{ range(3) | list | length }}\n"
        "{%- if add_generation_prompt %}{{ '<|assistant|>' }}{% endif -%}\n"
    ),
}

MARK = "echo MATS-TEST-MARKER"

MALICIOUS = {
    # The original llama-cpp-python PoC shape (CVE-2024-34359).
    "cve_2024_34359_subclasses.jinja":
        "{% for x in ().__class__.__base__.__subclasses__() %}"
        "{% if \"warning\" in x.__name__ %}"
        "{{ x()._module.__builtins__['__import__']('os').popen(\"" + MARK + "\").read() }}"
        "{% endif %}{% endfor %}",
    "lipsum_globals.jinja":
        "{{ lipsum.__globals__['os'].popen('" + MARK + "').read() }}",
    "cycler_init_globals.jinja":
        "{{ cycler.__init__.__globals__.os.popen('" + MARK + "').read() }}",
    "joiner_globals.jinja":
        "{{ joiner.__init__.__globals__['__builtins__']['__import__']('os').system('" + MARK + "') }}",
    "namespace_globals.jinja":
        "{% set ns = namespace(a=1) %}{{ namespace.__init__.__globals__['os'].popen('" + MARK + "').read() }}",
    "attr_filter_dunder.jinja":
        "{{ ()|attr('__class__')|attr('__base__')|attr('__subclasses__')() }}",
    "attr_filter_computed.jinja":
        "{% set u = '_' %}{{ lipsum|attr(u*2 ~ 'globals' ~ u*2) }}"
        "{{ request|attr(request.args.x) }}",
    "hex_escapes.jinja":
        "{{ ''['\\x5f\\x5fclass\\x5f\\x5f']['\\x5f\\x5fmro\\x5f\\x5f'][1]"
        "['\\x5f\\x5fsubclasses\\x5f\\x5f']() }}",
    "unicode_escapes.jinja":
        "{{ self['\\u005f\\u005finit\\u005f\\u005f']['\\u005f\\u005fglobals\\u005f\\u005f'] }}",
    "octal_escapes.jinja":
        "{{ x|attr('\\137\\137class\\137\\137') }}",
    "concat_tilde.jinja":
        "{% set a = '__cla' ~ 'ss__' %}{{ messages[a] }}",
    "join_filter.jinja":
        "{{ ''[['__', 'class', '__']|join]['__mro__'] }}",
    "dict_join.jinja":
        "{{ x|attr(dict(__glo=1, bals__=2)|join) }}",
    "format_filter.jinja":
        "{{ x|attr('%c%cclass%c%c'|format(95,95,95,95)) }}",
    "replace_filter.jinja":
        "{{ x['XXglobalsXX'|replace('XX', '__')] }}",
    "string_char_pick.jinja":
        "{% set u = (()|select|string)[24] %}{{ x|attr(u ~ u ~ 'class' ~ u ~ u) }}",
    "range_globals.jinja":
        "{{ range.__init__.__globals__['__builtins__'].eval(\"__import__('os').popen('" + MARK + "')\") }}",
    "map_attribute.jinja":
        "{{ [x]|map(attribute='__class__')|list }}",
    "include_file.jinja":
        "{% include '/etc/passwd' %}",
    "broken_tail_payload.jinja":
        "{{ messages[0]['content'] }}{% if %}{{ lipsum.__globals__.os.popen('" + MARK + "') }}",
    "unterminated_string_payload.jinja":
        "{{ 'hello }}{{ cycler.__init__.__globals__.os.popen('" + MARK + "') }}",
    "getattr_name.jinja":
        "{{ getattr(x, 'system')('" + MARK + "') }}",
    "format_method.jinja":
        "{{ x['{0}{0}class{0}{0}'.format('_')] }}",
    "private_attr.jinja":
        "{{ x._TemplateReference__context }}",
}
