using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChangeNotifications.Graph;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Configuration;

namespace ChangeNotifications.Tests.Deploy;

/// <summary>
/// deploy/azure/main.bicep, compiled offline by the Bicep CLI (once per class): it builds without a warning and the
/// App Service it describes keeps the promises docs/deploy-azure.md makes.
/// </summary>
public sealed partial class AppServiceTemplateTests(AppServiceTemplateTests.Compiled template) : IClassFixture<AppServiceTemplateTests.Compiled>
{
    [Fact]
    public void Template_and_example_parameters_build_without_a_warning()
    {
        Assert.True(template.ExitCode == 0 && template.Errors.Length == 0, $"bicep build: exit {template.ExitCode}\n{template.Errors}");
        Assert.True(template.ParametersExitCode == 0 && template.ParametersErrors.Length == 0, $"bicep build-params: exit {template.ParametersExitCode}\n{template.ParametersErrors}");
    }

    [Fact]
    public void Web_app_is_https_only_always_on_with_a_readiness_check_and_its_own_identity()
    {
        var site = template.Resource("Microsoft.Web/sites");
        var config = site["properties"]!["siteConfig"]!;

        Assert.True(site["properties"]!["httpsOnly"]!.GetValue<bool>());
        Assert.Equal("SystemAssigned", site["identity"]!["type"]!.GetValue<string>());
        Assert.True(config["alwaysOn"]!.GetValue<bool>());
        Assert.Equal("/health/ready", config["healthCheckPath"]!.GetValue<string>());
        Assert.Equal("1.2", config["minTlsVersion"]!.GetValue<string>());
        Assert.Contains("'DOTNETCORE|10.0'", config["linuxFxVersion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("[parameters('instanceCount')]", template.Resource("Microsoft.Web/serverfarms")["sku"]!["capacity"]!.GetValue<string>());
    }

    [Fact]
    public void Secrets_reach_the_app_settings_only_as_key_vault_references()
    {
        var settings = template.AppSettingsExpression;

        Assert.Contains("'ConnectionStrings__ChangeNotifications', format('@Microsoft.KeyVault(SecretUri={0})'", settings, StringComparison.Ordinal);
        foreach (var secret in template.SecureParameters)
        {
            Assert.DoesNotContain($"parameters('{secret}')", settings, StringComparison.Ordinal);
        }

        Assert.NotEmpty(template.SecureParameters);
        Assert.Equal(
            "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')]",
            template.Json["variables"]!["keyVaultSecretsUser"]!.GetValue<string>());
    }

    [Fact]
    public void App_settings_are_ones_the_service_reads_and_its_validation_accepts()
    {
        var settings = template.LiteralAppSettings();
        // What a deployment fills in from parameters: the tenant and the app's own host name.
        settings["Graph:TenantId"] = Guid.NewGuid().ToString();
        settings["Subscriptions:NotificationUrl"] = "https://contoso-notifications.azurewebsites.net/api/notifications";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var graph = configuration.GetSection(GraphOptions.Section).Get<GraphOptions>()!;

        var validation = new GraphOptionsValidator().Validate(null, graph);

        Assert.True(validation.Succeeded, validation.FailureMessage);
        Assert.Equal(GraphMode.Live, graph.Mode);
        Assert.True(graph.ManagedIdentity);
        Assert.Equal("Postgres", settings["Storage:Provider"]);
        Assert.Equal("true", settings["ASPNETCORE_FORWARDEDHEADERS_ENABLED"]);
        Assert.All(template.SubscriptionItemKeys, key => Assert.NotNull(typeof(SubscriptionItemOptions).GetProperty(key)));
        Assert.Contains("Resource", template.SubscriptionItemKeys);
    }

    /// <summary>The compiled template (ARM JSON) and the diagnostics of both builds.</summary>
    public sealed partial class Compiled : IAsyncLifetime
    {
        public int ExitCode { get; private set; }

        public string Errors { get; private set; } = "";

        public int ParametersExitCode { get; private set; }

        public string ParametersErrors { get; private set; } = "";

        public JsonObject Json { get; private set; } = [];

        /// <summary>The ARM expression of the app settings resource's properties.</summary>
        public string AppSettingsExpression => ((JsonObject)Json["resources"]!.AsArray().Single(r => (string?)r!["type"] == "Microsoft.Web/sites/config"
            && ((string?)r["name"])!.Contains("appsettings", StringComparison.Ordinal))!)["properties"]!.GetValue<string>();

        public IEnumerable<string> SecureParameters => Json["parameters"]!.AsObject()
            .Where(p => (string?)p.Value!["type"] == "securestring")
            .Select(p => p.Key);

        /// <summary>The keys of Subscriptions:Items:{n}: the template writes for each configured subscription.</summary>
        public IReadOnlyList<string> SubscriptionItemKeys => ItemKey().Matches(Json["variables"]!["subscriptionSettings"]!.GetValue<string>())
            .Select(m => m.Groups[1].Value).Distinct().ToList();

        public async Task InitializeAsync()
        {
            var output = Path.Combine(Path.GetTempPath(), $"cn-bicep-{Guid.NewGuid():N}");
            Directory.CreateDirectory(output);
            try
            {
                var build = await DeployFiles.RunAsync(DeployFiles.Bicep, "build", DeployFiles.PathOf("deploy/azure/main.bicep"), "--outfile", Path.Combine(output, "main.json"));
                (ExitCode, Errors) = (build.ExitCode, build.Errors);
                var parameters = await DeployFiles.RunAsync(DeployFiles.Bicep, "build-params", DeployFiles.PathOf("deploy/azure/main.bicepparam"), "--outfile", Path.Combine(output, "main.parameters.json"));
                (ParametersExitCode, ParametersErrors) = (parameters.ExitCode, parameters.Errors);
                if (ExitCode == 0)
                {
                    Json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "main.json")))!.AsObject();
                }
            }
            finally
            {
                Directory.Delete(output, recursive: true);
            }
        }

        public Task DisposeAsync() => Task.CompletedTask;

        public JsonObject Resource(string type) => Json["resources"]!.AsArray().Single(r => (string?)r!["type"] == type)!.AsObject();

        /// <summary>The app settings whose value is a literal in the template, as configuration keys (Section:Key).</summary>
        public Dictionary<string, string?> LiteralAppSettings() => LiteralPair().Matches(AppSettingsExpression)
            .ToDictionary(m => m.Groups[1].Value.Replace("__", ":", StringComparison.Ordinal), m => (string?)m.Groups[2].Value);

        [GeneratedRegex(@"'(\w+)', '([^']*)'")]
        private static partial Regex LiteralPair();

        [GeneratedRegex(@"'Subscriptions__Items__\{0\}__(\w+)'")]
        private static partial Regex ItemKey();
    }
}
