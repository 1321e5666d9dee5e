// ChangeNotifications on Azure App Service (Linux), Live mode: the web app (the .NET 10 stack, or the repository's
// container image) with HTTPS only, Always On, a health check and a system-assigned identity that signs in to Graph,
// a Key Vault for the secrets the app settings reference, and the PostgreSQL store (a new Flexible Server, or one you
// already run). App Service has no persistent local disk (its /home is a network share), so the SQLite store is not
// offered here. Walkthrough and the steps outside this template (Graph permissions): docs/deploy-azure.md.

@description('Name of the web app and prefix of the other resources (letters, digits and hyphens).')
@minLength(3)
@maxLength(40)
param name string

param location string = resourceGroup().location

@description('App Service plan size. Always On needs Basic (B1) or above.')
@allowed([
  'B1'
  'B2'
  'B3'
  'S1'
  'S2'
  'S3'
  'P0v3'
  'P1v3'
  'P2v3'
  'P3v3'
])
param planSku string = 'P0v3'

@description('Instances behind App Service\'s load balancer; all of them share the PostgreSQL store.')
@minValue(1)
@maxValue(10)
param instanceCount int = 1

@description('Empty: run the published app on the .NET 10 stack (deploy it with `az webapp deploy`). Otherwise the image to run, e.g. contoso.azurecr.io/changenotifications:1.0 (grant the app\'s identity AcrPull on the registry).')
param containerImage string = ''

@description('Directory (tenant) id of the Graph data (Graph:TenantId).')
param tenantId string = tenant().tenantId

@description('Public HTTPS URL Graph posts change notifications to. Empty: https://{the app\'s default host name}/api/notifications.')
param notificationUrl string = ''

@description('The subscriptions to keep (Subscriptions:Items): objects with resource, changeType and optionally includeResourceData and expirationMinutes.')
param subscriptions array = []

@description('create: a new Azure Database for PostgreSQL Flexible Server; existing: the connection string in postgresConnectionString.')
@allowed([
  'create'
  'existing'
])
param postgres string = 'create'

@description('postgres = create: administrator login of the new server.')
param postgresAdministratorLogin string = 'changenotifications'

@secure()
@description('postgres = create: administrator password of the new server.')
param postgresAdministratorPassword string = ''

@secure()
@description('postgres = existing: the Npgsql connection string of the database (ConnectionStrings:ChangeNotifications).')
param postgresConnectionString string = ''

@description('More app settings, as Section__Key names (e.g. RichNotifications__…); a secret as a Key Vault reference, @Microsoft.KeyVault(SecretUri=…). A deployment replaces the app\'s settings with the template\'s, so keep yours here.')
param extraAppSettings object = {}

@description('Admin API: the application (client) id of its Entra app registration (AzureAd:ClientId). Empty: no AzureAd settings are written.')
param adminApiClientId string = ''

var useContainer = !empty(containerImage)
var suffix = uniqueString(resourceGroup().id, name)
var keyVaultName = 'kv${suffix}'
var postgresServerName = toLower('${name}-pg-${suffix}')
var defaultNotificationUrl = 'https://${site.properties.defaultHostName}/api/notifications'
// Key Vault Secrets User: read secret values (the connection string). Key Vault Certificate User: read certificates
// with their private keys (rich notifications' decryption certificates, SourceType KeyVault).
var keyVaultSecretsUser = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
var keyVaultCertificateUser = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'db79e9a7-68ee-4b58-9aeb-b90e7c24fcba')

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${name}-plan'
  location: location
  kind: 'linux'
  sku: {
    name: planSku
    capacity: instanceCount
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: name
  location: location
  kind: useContainer ? 'app,linux,container' : 'app,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    keyVaultReferenceIdentity: 'SystemAssigned'
    siteConfig: {
      linuxFxVersion: useContainer ? 'DOCKER|${containerImage}' : 'DOTNETCORE|10.0'
      acrUseManagedIdentityCreds: useContainer
      alwaysOn: true
      healthCheckPath: '/health/ready'
      http20Enabled: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
  }
}

resource siteReadsVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [keyVaultSecretsUser, keyVaultCertificateUser]: {
  name: guid(vault.id, site.id, role)
  scope: vault
  properties: {
    roleDefinitionId: role
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
  }
}]

module database 'modules/postgres.bicep' = if (postgres == 'create') {
  name: 'postgres'
  params: {
    serverName: postgresServerName
    location: location
    administratorLogin: postgresAdministratorLogin
    administratorPassword: postgresAdministratorPassword
  }
}

resource connectionString 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'ConnectionStrings--ChangeNotifications'
  properties: {
    value: postgres == 'create'
      ? 'Host=${database!.outputs.fqdn};Database=${database!.outputs.databaseName};Username=${postgresAdministratorLogin};Password=${postgresAdministratorPassword};SSL Mode=VerifyFull'
      : postgresConnectionString
  }
}

// Subscriptions:Items as Section__Index__Key settings, the form App Service hands to the process as environment variables.
var subscriptionSettings = reduce(range(0, length(subscriptions)), {}, (settings, i) => union(settings, {
  'Subscriptions__Items__${i}__Resource': subscriptions[i].resource
  'Subscriptions__Items__${i}__ChangeType': subscriptions[i].changeType
  'Subscriptions__Items__${i}__IncludeResourceData': string(subscriptions[i].?includeResourceData ?? false)
}, contains(subscriptions[i], 'expirationMinutes') ? {
  'Subscriptions__Items__${i}__ExpirationMinutes': string(subscriptions[i].expirationMinutes)
} : {}))

var adminApiSettings = empty(adminApiClientId) ? {} : {
  AzureAd__Instance: environment().authentication.loginEndpoint
  AzureAd__TenantId: tenantId
  AzureAd__ClientId: adminApiClientId
}

var containerSettings = useContainer ? {
  // The image listens on 8080 (ASPNETCORE_HTTP_PORTS); no /home share mounted, so nothing is written to one.
  WEBSITES_PORT: '8080'
  WEBSITES_ENABLE_APP_SERVICE_STORAGE: 'false'
} : {}

resource appSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: site
  name: 'appsettings'
  dependsOn: [
    siteReadsVault
  ]
  properties: union({
    ASPNETCORE_ENVIRONMENT: 'Production'
    // App Service terminates TLS and forwards X-Forwarded-For / X-Forwarded-Proto: the client's address and https.
    ASPNETCORE_FORWARDEDHEADERS_ENABLED: 'true'
    Graph__Mode: 'Live'
    Graph__TenantId: tenantId
    Graph__ManagedIdentity: 'true'
    Subscriptions__NotificationUrl: empty(notificationUrl) ? defaultNotificationUrl : notificationUrl
    Storage__Provider: 'Postgres'
    ConnectionStrings__ChangeNotifications: '@Microsoft.KeyVault(SecretUri=${connectionString.properties.secretUri})'
  }, containerSettings, adminApiSettings, subscriptionSettings, extraAppSettings)
}

@description('The app\'s HTTPS host name.')
output hostName string = site.properties.defaultHostName

@description('The URL subscriptions are created with.')
output notificationUrl string = empty(notificationUrl) ? defaultNotificationUrl : notificationUrl

@description('Object id of the app\'s managed identity: grant it Graph\'s application permissions (docs/deploy-azure.md).')
output principalId string = site.identity.principalId

@description('The Key Vault the app reads its secrets and certificates from.')
output keyVaultName string = vault.name
