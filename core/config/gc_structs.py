"""The keys Gas City's config structs decode, and their TOML types (from the `toml` tags of the
structs in Gas City's internal/config at 9e89da7c).

Each struct maps a key to its type: `string`, `int`, `bool`, `float`, `any`, the name of
another struct (a table), `[T]` (an array of T: strings, or tables of struct T) or `{T}` (a
table keyed by any name, each value a T). `City` is city.toml (and an include fragment),
`PackConfig` is pack.toml, `Agent` is agents/<name>/agent.toml, `SiteBinding` is
.gc/site.toml. The loader walks a parsed file against its struct to find the keys Gas City
would leave undecoded (unknown-field warnings in city.toml, fatal errors in pack.toml) and the
values its decoder would refuse for their type.
"""

from __future__ import annotations

STRUCTS: dict[str, dict[str, str]] = {
    'City': {
        'include': '[string]', 'workspace': 'Workspace', 'providers': '{ProviderSpec}', 'upstreams': '{UpstreamSpec}',
        'packs': '{PackSource}', 'imports': '{Import}', 'defaults': 'PackDefaults', 'agent': '[Agent]',
        'named_session': '[NamedSession]', 'rigs': '[Rig]', 'patches': 'Patches', 'storage': 'StorageConfig',
        'beads': 'BeadsConfig', 'session': 'SessionConfig', 'mail': 'MailConfig', 'events': 'EventsConfig',
        'usage': 'UsageConfig', 'dolt': 'DoltConfig', 'formulas': 'FormulasConfig', 'daemon': 'DaemonConfig',
        'orders': 'OrdersConfig', 'api': 'APIConfig', 'chat_sessions': 'ChatSessionsConfig',
        'session_sleep': 'SessionSleepConfig', 'convergence': 'ConvergenceConfig', 'doctor': 'DoctorConfig',
        'maintenance': 'MaintenanceConfig', 'service': '[Service]', 'webhook': '[Webhook]',
        'webhooks': 'WebhookPolicyConfig', 'github': 'GitHubConfig', 'extmsg': 'ExtMsgConfig',
        'agent_defaults': 'AgentDefaults', 'agents': 'AgentDefaults', 'pricing': '[ModelPricing]',
    },
    'PackConfig': {
        'pack': 'PackMeta', 'imports': '{Import}', 'agent_defaults': 'AgentDefaults', 'agents': 'AgentDefaults',
        'defaults': 'PackDefaults', 'agent': '[Agent]', 'named_session': '[NamedSession]', 'service': '[Service]',
        'webhook': '[Webhook]', 'providers': '{ProviderSpec}', 'upstreams': '{UpstreamSpec}',
        'runtimes': '{PackRuntimeEntry}', 'formulas': 'FormulasConfig', 'patches': 'PackPatches',
        'doctor': '[PackDoctorEntry]', 'commands': '[PackCommandEntry]', 'global': 'PackGlobal',
        'pricing': '[ModelPricing]',
    },
    'Agent': {
        'name': 'string', 'description': 'string', 'dir': 'string', 'work_dir': 'string', 'tmux_alias': 'string',
        'scope': 'string', 'suspended': 'bool', 'pre_start': '[string]', 'prompt_template': 'string',
        'nudge': 'string', 'session': 'string', 'provider': 'string', 'upstream': 'string', 'start_command': 'string',
        'lifecycle': 'string', 'args': '[string]', 'prompt_mode': 'string', 'prompt_flag': 'string',
        'ready_delay_ms': 'int', 'ready_prompt_prefix': 'string', 'process_names': '[string]',
        'emits_permission_warning': 'bool', 'env': '{string}', 'option_defaults': '{string}',
        'max_active_sessions': 'int', 'min_active_sessions': 'int', 'scale_check': 'string',
        'drain_timeout': 'string', 'on_boot': 'string', 'on_death': 'string', 'namepool': 'string',
        'work_query': 'string', 'sling_query': 'string', 'idle_timeout': 'string', 'max_session_age': 'string',
        'max_session_age_jitter': 'string', 'assigned_work_defer_limit': 'int', 'sleep_after_idle': 'string',
        'install_agent_hooks': '[string]', 'skills': '[string]', 'mcp': '[string]', 'hooks_installed': 'bool',
        'session_setup': '[string]', 'session_setup_script': 'string', 'session_live': '[string]',
        'overlay_dir': 'string', 'default_sling_formula': 'string', 'inject_fragments': '[string]',
        'append_fragments': '[string]', 'inject_assigned_skills': 'bool', 'attach': 'bool', 'depends_on': '[string]',
        'resume_command': 'string', 'wake_mode': 'string', 'mouse_mode': 'string',
    },
    'SiteBinding': {
        'workspace_name': 'string', 'workspace_prefix': 'string', 'rig': '[RigSiteBinding]',
    },
    'Workspace': {
        'name': 'string', 'prefix': 'string', 'provider': 'string', 'timezone': 'string', 'start_command': 'string',
        'suspended': 'bool', 'suspended_on_start': 'bool', 'max_active_sessions': 'int', 'session_template': 'string',
        'install_agent_hooks': '[string]', 'global_fragments': '[string]', 'includes': '[string]',
        'default_rig_includes': '[string]', 'env': '{string}',
    },
    'ProviderSpec': {
        'base': 'string', 'args_append': '[string]', 'options_schema_merge': 'string', 'display_name': 'string',
        'command': 'string', 'args': '[string]', 'prompt_mode': 'string', 'prompt_flag': 'string',
        'ready_delay_ms': 'int', 'ready_prompt_prefix': 'string', 'process_names': '[string]',
        'emits_permission_warning': 'bool', 'accept_startup_dialogs': 'bool', 'env': '{string}',
        'path_check': 'string', 'supports_acp': 'bool', 'supports_hooks': 'bool', 'instructions_file': 'string',
        'resume_flag': 'string', 'resume_style': 'string', 'resume_command': 'string', 'session_id_flag': 'string',
        'fork_flag': 'string', 'permission_modes': '{string}', 'option_defaults': '{string}',
        'options_schema': '[ProviderOption]', 'upstream_env': 'UpstreamEnvBinding', 'print_args': '[string]',
        'title_model': 'string', 'acp_command': 'string', 'acp_args': '[string]',
    },
    'UpstreamSpec': {
        'description': 'string', 'base_url': 'string', 'api_key': 'string', 'auth_token': 'string',
        'base_url_env': 'string', 'api_key_env': 'string', 'auth_token_env': 'string', 'env': '{string}',
    },
    'PackSource': {
        'source': 'string', 'ref': 'string', 'path': 'string',
    },
    'Import': {
        'source': 'string', 'version': 'string', 'export': 'bool', 'transitive': 'bool', 'shadow': 'string',
    },
    'PackDefaults': {
        'rig': 'PackRigDefaults',
    },
    'NamedSession': {
        'name': 'string', 'template': 'string', 'scope': 'string', 'dir': 'string', 'mode': 'string',
    },
    'Rig': {
        'name': 'string', 'path': 'string', 'prefix': 'string', 'default_branch': 'string', 'suspended': 'bool',
        'suspended_on_start': 'bool', 'formulas_dir': 'string', 'includes': '[string]', 'imports': '{Import}',
        'max_active_sessions': 'int', 'overrides': '[AgentOverride]', 'patches': '[AgentOverride]',
        'default_sling_target': 'string', 'default_sling_targets': '[string]', 'session_sleep': 'SessionSleepConfig',
        'dolt_host': 'string', 'dolt_port': 'string', 'formula_vars': '{string}',
    },
    'Patches': {
        'agent': '[AgentPatch]', 'named_session': '[NamedSessionPatch]', 'rigs': '[RigPatch]',
        'providers': '[ProviderPatch]', 'github_pr_monitor': '[GitHubPRMonitorPatch]',
    },
    'StorageConfig': {
        'classes': 'StorageClasses', 'bindings': '{StorageBindingConfig}',
    },
    'BeadsConfig': {
        'provider': 'string', 'backend': 'string', 'event_hooks': 'bool', 'bd_compatibility': 'string',
        'conditional_writes': 'string', 'guarded_release': 'string', 'policies': '{BeadPolicyConfig}',
    },
    'SessionConfig': {
        'provider': 'string', 'k8s': 'K8sConfig', 'acp': 'ACPSessionConfig', 'setup_timeout': 'string',
        'setup_max_timeout': 'string', 'nudge_ready_timeout': 'string', 'nudge_retry_interval': 'string',
        'nudge_poll_interval': 'string', 'nudge_lock_timeout': 'string', 'debounce_ms': 'int', 'display_ms': 'int',
        'startup_timeout': 'string', 'progress_stall_timeout': 'string', 'claim_holder_stall_timeout': 'string',
        'socket': 'string', 'remote_match': 'string',
    },
    'MailConfig': {
        'provider': 'string', 'retention_ttl': 'string',
    },
    'EventsConfig': {
        'provider': 'string', 'rotation': 'EventsRotationConfig',
    },
    'UsageConfig': {
        'provider': 'string',
    },
    'DoltConfig': {
        'port': 'int', 'host': 'string', 'archive_level': 'int', 'auto_gc_enabled': 'bool', 'max_connections': 'int',
        'read_timeout_millis': 'int', 'write_timeout_millis': 'int', 'wait_timeout_seconds': 'int',
        'dolt_lock_release_timeout': 'string',
    },
    'FormulasConfig': {
        'dir': 'string',
    },
    'DaemonConfig': {
        'formula_v2': 'bool', 'graph_workflows': 'bool', 'patrol_interval': 'string', 'max_restarts': 'int',
        'restart_window': 'string', 'session_circuit_breaker': 'bool', 'session_circuit_breaker_max_restarts': 'int',
        'session_circuit_breaker_window': 'string', 'session_circuit_breaker_reset_after': 'string',
        'shutdown_timeout': 'string', 'dolt_stop_timeout': 'string',
        'dolt_start_address_in_use_retry_window': 'string', 'wisp_gc_interval': 'string', 'wisp_ttl': 'string',
        'drift_drain_timeout': 'string', 'observe_paths': '[string]', 'probe_concurrency': 'int',
        'max_wakes_per_tick': 'int', 'nudge_dispatcher': 'string', 'auto_restart_on_drift': 'bool',
        'auto_reap_closed_bead_worktrees': 'bool', 'auto_reap_closed_bead_worktrees_dry_run': 'bool',
        'auto_reap_closed_bead_worktrees_min_age_minutes': 'int', 'start_ready_timeout': 'string',
        'tick_debounce': 'string', 'auto_prune_worker_dir': 'bool',
    },
    'OrdersConfig': {
        'skip': '[string]', 'max_timeout': 'string', 'overrides': '[OrderOverride]',
    },
    'APIConfig': {
        'port': 'int', 'bind': 'string', 'allow_mutations': 'bool', 'write_auth_verify_key': 'string',
        'write_auth_required': 'bool', 'write_auth_allow_unverified': 'bool', 'read_auth_verify_key': 'string',
        'read_auth_required': 'bool',
    },
    'ChatSessionsConfig': {
        'idle_timeout': 'string', 'grace_period': 'string',
    },
    'SessionSleepConfig': {
        'interactive_resume': 'string', 'interactive_fresh': 'string', 'noninteractive': 'string',
    },
    'ConvergenceConfig': {
        'max_per_agent': 'int', 'max_total': 'int',
    },
    'DoctorConfig': {
        'worktree_rig_warn_size': 'string', 'worktree_rig_error_size': 'string', 'nested_worktree_prune': 'bool',
        'check': '[LocalDoctorCheck]',
    },
    'MaintenanceConfig': {
        'dolt': 'DoltMaintenance',
    },
    'Service': {
        'name': 'string', 'kind': 'string', 'publish_mode': 'string', 'state_root': 'string',
        'publication': 'ServicePublicationConfig', 'workflow': 'ServiceWorkflowConfig',
        'process': 'ServiceProcessConfig',
    },
    'Webhook': {
        'name': 'string', 'scope': 'string', 'rig': 'string', 'publication': 'ServicePublicationConfig',
        'verify': 'WebhookVerify', 'rule': '[WebhookRule]', 'max_per_minute': 'int',
    },
    'WebhookPolicyConfig': {
        'allow_public': '[WebhookAllowPublic]', 'jwt_policy': '[WebhookJWTPolicy]',
        'rate_limit': 'WebhookRateLimitConfig',
    },
    'GitHubConfig': {
        'pr_monitor': '[GitHubPRMonitor]',
    },
    'ExtMsgConfig': {
        'default_route': '[ExtMsgDefaultRoute]',
    },
    'AgentDefaults': {
        'provider': 'string', 'model': 'string', 'upstream': 'string', 'wake_mode': 'string',
        'default_sling_formula': 'string', 'allow_overlay': '[string]', 'allow_env_override': '[string]',
        'append_fragments': '[string]', 'skills': '[string]', 'mcp': '[string]',
    },
    'ModelPricing': {
        'provider': 'string', 'model': 'string', 'tier': 'Tier', 'last_verified': 'string',
    },
    'PackMeta': {
        'name': 'string', 'version': 'string', 'schema': 'int', 'requires_gc': 'string', 'description': 'string',
        'includes': '[string]', 'requires': '[PackRequirement]',
    },
    'PackRuntimeEntry': {
        'command': 'string', 'protocol': 'int',
    },
    'PackPatches': {
        'agent': '[AgentPatch]',
    },
    'PackDoctorEntry': {
        'name': 'string', 'script': 'string', 'description': 'string', 'fix': 'string', 'warmup': 'bool',
    },
    'PackCommandEntry': {
        'name': 'string', 'description': 'string', 'long_description': 'string', 'script': 'string',
    },
    'PackGlobal': {
        'session_live': '[string]',
    },
    'RigSiteBinding': {
        'name': 'string', 'path': 'string',
    },
    'ProviderOption': {
        'key': 'string', 'label': 'string', 'type': 'string', 'default': 'string', 'choices': '[OptionChoice]',
        'omit': 'bool',
    },
    'UpstreamEnvBinding': {
        'base_url': 'string', 'api_key': 'string', 'auth_token': 'string',
    },
    'PackRigDefaults': {
        'imports': '{Import}',
    },
    'AgentOverride': {
        'agent': 'string', 'dir': 'string', 'work_dir': 'string', 'tmux_alias': 'string', 'scope': 'string',
        'suspended': 'bool', 'pool': 'PoolOverride', 'env': '{string}', 'env_remove': '[string]',
        'pre_start': '[string]', 'prompt_template': 'string', 'session': 'string', 'provider': 'string',
        'upstream': 'string', 'args': '[string]', 'start_command': 'string', 'lifecycle': 'string', 'nudge': 'string',
        'idle_timeout': 'string', 'max_session_age': 'string', 'max_session_age_jitter': 'string',
        'assigned_work_defer_limit': 'int', 'sleep_after_idle': 'string', 'install_agent_hooks': '[string]',
        'skills': '[string]', 'mcp': '[string]', 'hooks_installed': 'bool', 'inject_assigned_skills': 'bool',
        'session_setup': '[string]', 'session_setup_script': 'string', 'session_live': '[string]',
        'overlay_dir': 'string', 'default_sling_formula': 'string', 'inject_fragments': '[string]',
        'append_fragments': '[string]', 'pre_start_append': '[string]', 'session_setup_append': '[string]',
        'session_live_append': '[string]', 'install_agent_hooks_append': '[string]', 'skills_append': '[string]',
        'mcp_append': '[string]', 'attach': 'bool', 'depends_on': '[string]', 'resume_command': 'string',
        'wake_mode': 'string', 'mouse_mode': 'string', 'inject_fragments_append': '[string]',
        'max_active_sessions': 'int', 'min_active_sessions': 'int', 'scale_check': 'string',
        'option_defaults': '{string}',
    },
    'AgentPatch': {
        'dir': 'string', 'name': 'string', 'work_dir': 'string', 'tmux_alias': 'string', 'scope': 'string',
        'suspended': 'bool', 'pool': 'PoolOverride', 'env': '{string}', 'env_remove': '[string]',
        'pre_start': '[string]', 'prompt_template': 'string', 'session': 'string', 'provider': 'string',
        'upstream': 'string', 'args': '[string]', 'start_command': 'string', 'lifecycle': 'string', 'nudge': 'string',
        'idle_timeout': 'string', 'max_session_age': 'string', 'max_session_age_jitter': 'string',
        'assigned_work_defer_limit': 'int', 'sleep_after_idle': 'string', 'install_agent_hooks': '[string]',
        'skills': '[string]', 'mcp': '[string]', 'skills_append': '[string]', 'mcp_append': '[string]',
        'hooks_installed': 'bool', 'inject_assigned_skills': 'bool', 'session_setup': '[string]',
        'session_setup_script': 'string', 'session_live': '[string]', 'overlay_dir': 'string',
        'default_sling_formula': 'string', 'inject_fragments': '[string]', 'append_fragments': '[string]',
        'attach': 'bool', 'depends_on': '[string]', 'resume_command': 'string', 'wake_mode': 'string',
        'mouse_mode': 'string', 'pre_start_append': '[string]', 'session_setup_append': '[string]',
        'session_live_append': '[string]', 'install_agent_hooks_append': '[string]',
        'inject_fragments_append': '[string]', 'max_active_sessions': 'int', 'min_active_sessions': 'int',
        'scale_check': 'string', 'option_defaults': '{string}',
    },
    'NamedSessionPatch': {
        'dir': 'string', 'name': 'string', 'template': 'string', 'mode': 'string',
    },
    'RigPatch': {
        'name': 'string', 'path': 'string', 'prefix': 'string', 'default_branch': 'string', 'suspended': 'bool',
        'suspended_on_start': 'bool', 'formula_vars': '{string}',
    },
    'ProviderPatch': {
        'name': 'string', 'base': 'string', 'command': 'string', 'acp_command': 'string', 'args': '[string]',
        'acp_args': '[string]', 'args_append': '[string]', 'options_schema_merge': 'string', 'prompt_mode': 'string',
        'prompt_flag': 'string', 'ready_delay_ms': 'int', 'accept_startup_dialogs': 'bool', 'env': '{string}',
        'env_remove': '[string]', '_replace': 'bool',
    },
    'GitHubPRMonitorPatch': {
        'name': 'string', 'owner': 'string', 'repo': 'string', 'base_branches': '[string]', 'rig': 'string',
        'notify': '[string]', 'notify_append': '[string]', 'repair_route': 'string', 'repair_workflow': 'string',
        'webhook_secret_env': 'string', 'webhook_secret_key': 'string', 'poll_interval': 'string',
        'merge_queue': 'string',
    },
    'StorageClasses': {
        'work': 'string', 'graph': 'string', 'sessions': 'string', 'messaging': 'string', 'orders': 'string',
        'nudges': 'string',
    },
    'StorageBindingConfig': {
        'provider': 'string', 'path': 'string', 'config_ref': 'string', 'url': 'string', 'auth': 'string',
    },
    'BeadPolicyConfig': {
        'storage': 'string', 'delete_after_close': 'string',
    },
    'K8sConfig': {
        'namespace': 'string', 'image': 'string', 'context': 'string', 'cpu_request': 'string',
        'mem_request': 'string', 'cpu_limit': 'string', 'mem_limit': 'string', 'prebaked': 'bool',
    },
    'ACPSessionConfig': {
        'handshake_timeout': 'string', 'nudge_busy_timeout': 'string', 'output_buffer_lines': 'int',
    },
    'EventsRotationConfig': {
        'enabled': 'bool', 'max_size_bytes': 'int', 'check_interval_records': 'int', 'check_interval_seconds': 'int',
        'archive_retain_age': 'string',
    },
    'OrderOverride': {
        'name': 'string', 'rig': 'string', 'enabled': 'bool', 'trigger': 'string', 'gate': 'string',
        'interval': 'string', 'schedule': 'string', 'check': 'string', 'on': 'string', 'pool': 'string',
        'timeout': 'string', 'check_timeout': 'string', 'idempotent': 'bool', 'env': '{string}',
    },
    'LocalDoctorCheck': {
        'name': 'string', 'script': 'string', 'description': 'string', 'fix': 'string',
    },
    'DoltMaintenance': {
        'enabled': 'bool', 'interval': 'string', 'alert_to': 'string', 'gc_timeout': 'string',
    },
    'ServicePublicationConfig': {
        'visibility': 'string', 'hostname': 'string', 'allow_websockets': 'bool',
    },
    'ServiceWorkflowConfig': {
        'contract': 'string',
    },
    'ServiceProcessConfig': {
        'command': '[string]', 'health_path': 'string',
    },
    'WebhookVerify': {
        'scheme': 'string', 'secret_env': 'string', 'secret_key': 'string', 'signature_header': 'string',
        'event_header': 'string', 'dedup_header': 'string', 'timestamp_header': 'string', 'replay_window': 'string',
        'issuer': 'string', 'jwks_url': 'string', 'audience': 'string', 'bearer_env': 'string',
        'allowed_cidrs': '[string]',
    },
    'WebhookRule': {
        'event': 'string', 'match': '{string}', 'order': 'string', 'rig': 'string', 'target': 'string',
        'args': '{string}',
    },
    'WebhookAllowPublic': {
        'name': 'string', 'source': 'string', 'digest': 'string',
    },
    'WebhookJWTPolicy': {
        'name': 'string', 'issuer': 'string', 'audience': 'string', 'jwks_url': 'string',
    },
    'WebhookRateLimitConfig': {
        'per_minute': 'int', 'burst': 'int', 'override': '[WebhookRateLimitOverride]',
    },
    'GitHubPRMonitor': {
        'name': 'string', 'owner': 'string', 'repo': 'string', 'base_branches': '[string]', 'rig': 'string',
        'notify': '[string]', 'repair_route': 'string', 'repair_workflow': 'string', 'webhook_secret_env': 'string',
        'webhook_secret_key': 'string', 'poll_interval': 'string', 'merge_queue': 'string',
    },
    'ExtMsgDefaultRoute': {
        'provider': 'string', 'account_id': 'string', 'agent': 'string',
    },
    'Tier': {
        'prompt_usd_per_1m': 'float', 'completion_usd_per_1m': 'float', 'cache_read_usd_per_1m': 'float',
        'cache_creation_usd_per_1m': 'float',
    },
    'PackRequirement': {
        'scope': 'string', 'agent': 'string',
    },
    'OptionChoice': {
        'value': 'string', 'label': 'string', 'flag_args': '[string]', 'flag_aliases': '[[string]]',
    },
    'PoolOverride': {
        'min': 'int', 'max': 'int', 'check': 'string', 'drain_timeout': 'string', 'on_death': 'string',
        'on_boot': 'string',
    },
    'WebhookRateLimitOverride': {
        'name': 'string', 'per_minute': 'int', 'burst': 'int',
    },
}

# The structs whose keys Gas City offers as "did you mean" suggestions (knownTOMLKeys).
SUGGESTION_STRUCTS = (
    'City', 'Workspace', 'Agent', 'Rig', 'ProviderSpec', 'UpstreamSpec', 'UpstreamEnvBinding', 'AgentPatch',
    'AgentOverride', 'BeadsConfig', 'BeadPolicyConfig', 'SessionConfig', 'MailConfig', 'EventsConfig',
    'EventsRotationConfig', 'DoltConfig', 'FormulasConfig', 'DaemonConfig', 'OrdersConfig', 'APIConfig',
    'ConvergenceConfig', 'Service', 'ServiceWorkflowConfig', 'ServiceProcessConfig', 'AgentDefaults', 'PackConfig',
    'PackMeta', 'Import', 'NamedSession', 'PackRequirement', 'PackDoctorEntry', 'PackCommandEntry',
    'PackRuntimeEntry', 'PackGlobal', 'PackDefaults', 'PackRigDefaults',
)
