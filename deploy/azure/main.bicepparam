// Example parameters for main.bicep: copy, fill in your values, then
//   az deployment group create -g <resource group> -f deploy/azure/main.bicep -p deploy/azure/main.bicepparam
// The PostgreSQL password comes from the environment (CN_POSTGRES_PASSWORD), never from this file.
using 'main.bicep'

param name = 'contoso-notifications'
param planSku = 'P0v3'
param instanceCount = 1
param postgres = 'create'
param postgresAdministratorPassword = readEnvironmentVariable('CN_POSTGRES_PASSWORD', '')
param subscriptions = [
  {
    resource: '/users/00000000-0000-0000-0000-000000000001/mailFolders(\'inbox\')/messages'
    changeType: 'created,updated,deleted'
  }
  {
    resource: '/groups'
    changeType: 'updated,deleted'
  }
]
